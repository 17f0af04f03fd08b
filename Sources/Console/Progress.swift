#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Progress of long work: a redrawn bar on a terminal, plain lines otherwise
/// (at most one every `lineInterval` seconds, plus the last one).
///
/// Not thread-safe: call it from the thread that does the work.
public final class Progress {
    public let label: String
    public let total: Int
    private let isTerminal: Bool
    private let lineInterval: Double
    private let start = Date()
    private var lastPrint = Date.distantPast
    private var finished = false
    private let unit: Unit
    /// The first `done` reported: a resumed download's rate and ETA count only this run's bytes.
    private var baseline: Int?

    /// What the counts are: items (`12/40`) or bytes (`12.3/40.0 MB`, with a rate in MB/s).
    public enum Unit: Sendable { case items, bytes }

    /// - Parameters:
    ///   - label: what is being done ("decoding", "epoch 3/200").
    ///   - total: the number of units of work (0 when unknown).
    ///   - lineInterval: seconds between plain lines when not on a terminal.
    public init(_ label: String, total: Int, lineInterval: Double = 5, unit: Unit = .items) {
        self.unit = unit
        self.label = label
        self.total = total
        self.lineInterval = lineInterval
        self.isTerminal = isatty(STDOUT_FILENO) == 1
    }

    /// Whether standard output is a terminal.
    public static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Reports that `done` units are complete; `detail` is appended (losses, rates).
    public func update(_ done: Int, detail: String = "") {
        let now = Date()
        if baseline == nil { baseline = done }
        let isLast = total > 0 && done >= total
        if isTerminal {
            guard isLast || now.timeIntervalSince(lastPrint) >= 0.1 else { return }
            lastPrint = now
            let line = "\r\u{1B}[2K" + render(done: done, elapsed: now.timeIntervalSince(start), detail: detail, barWidth: 24)
            FileHandle.standardOutput.write(Data(line.utf8))
            if isLast { finish() }
        } else {
            guard isLast || now.timeIntervalSince(lastPrint) >= lineInterval else { return }
            lastPrint = now
            print(render(done: done, elapsed: now.timeIntervalSince(start), detail: detail, barWidth: 0))
        }
    }

    /// Ends the bar's line on a terminal.
    public func finish() {
        guard !finished else { return }
        finished = true
        if isTerminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    private func render(done: Int, elapsed: Double, detail: String, barWidth: Int) -> String {
        switch unit {
        case .items:
            return Self.render(label: label, done: done, total: total, elapsed: elapsed, detail: detail, barWidth: barWidth)
        case .bytes:
            return Self.renderBytes(label: label, done: done, total: total, since: baseline ?? 0, elapsed: elapsed,
                                    detail: detail, barWidth: barWidth)
        }
    }

    /// Renders a byte count: `label [###.....] 45.1/111.2 MB  41%  3.2 MB/s  ETA 20s`;
    /// the rate and ETA count the bytes after `since` (those of this run).
    public static func renderBytes(label: String, done: Int, total: Int, since: Int, elapsed: Double,
                                   detail: String, barWidth: Int) -> String {
        func mb(_ n: Int) -> String { String(format: "%.1f", Double(n) / 1e6) }
        var text = label
        let rate = elapsed > 0 ? Double(max(0, done - since)) / elapsed : 0
        if total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            if barWidth > 0 {
                let filled = Int((fraction * Double(barWidth)).rounded(.down))
                text += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]"
            }
            text += " \(mb(done))/\(mb(total)) MB \(String(format: "%3.0f%%", fraction * 100))"
        } else {
            text += " \(mb(done)) MB"
        }
        text += String(format: "  %.2f MB/s", rate / 1e6)
        if total > 0 && done < total {
            text += "  ETA " + (rate > 0 ? formatDuration(Double(total - done) / rate) : "?")
        } else if total > 0 {
            text += "  in " + formatDuration(elapsed)
        }
        if !detail.isEmpty { text += "  " + detail }
        return text
    }

    /// Renders one progress line (bar omitted when `barWidth` is 0).
    public static func render(label: String, done: Int, total: Int, elapsed: Double,
                              detail: String, barWidth: Int) -> String {
        var text = label
        if total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            if barWidth > 0 {
                let filled = Int((fraction * Double(barWidth)).rounded(.down))
                text += " [" + String(repeating: "#", count: filled)
                    + String(repeating: ".", count: barWidth - filled) + "]"
            }
            text += " \(done)/\(total) \(String(format: "%3.0f%%", fraction * 100))"
            if done > 0 && done < total {
                text += " ETA " + formatDuration(elapsed / Double(done) * Double(total - done))
            } else if done >= total {
                text += " in " + formatDuration(elapsed)
            }
        } else {
            text += " \(done)"
        }
        if !detail.isEmpty { text += "  " + detail }
        return text
    }

    /// `75s` → `1m15s`, `3725s` → `1h02m`.
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 86400)d\(String(format: "%02d", (s % 86400) / 3600))h"
    }
}

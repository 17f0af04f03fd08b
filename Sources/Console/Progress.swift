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

    /// - Parameters:
    ///   - label: what is being done ("decoding", "epoch 3/200").
    ///   - total: the number of units of work (0 when unknown).
    ///   - lineInterval: seconds between plain lines when not on a terminal.
    public init(_ label: String, total: Int, lineInterval: Double = 5) {
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
        let isLast = total > 0 && done >= total
        if isTerminal {
            guard isLast || now.timeIntervalSince(lastPrint) >= 0.1 else { return }
            lastPrint = now
            let line = "\r\u{1B}[2K" + Self.render(label: label, done: done, total: total,
                                                      elapsed: now.timeIntervalSince(start), detail: detail, barWidth: 24)
            FileHandle.standardOutput.write(Data(line.utf8))
            if isLast { finish() }
        } else {
            guard isLast || now.timeIntervalSince(lastPrint) >= lineInterval else { return }
            lastPrint = now
            print(Self.render(label: label, done: done, total: total,
                              elapsed: now.timeIntervalSince(start), detail: detail, barWidth: 0))
        }
    }

    /// Ends the bar's line on a terminal.
    public func finish() {
        guard !finished else { return }
        finished = true
        if isTerminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
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

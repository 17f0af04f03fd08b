import Foundation

/// Memory figures of the running process, from `/proc/self/status` (Linux).
public enum ProcessMemory {
    /// Peak resident set size in bytes, or nil where `/proc` is unavailable: `VmHWM`, or the
    /// current `VmRSS` when that is larger. The kernel raises `VmHWM` lazily (its resident
    /// counters are cached per CPU), so right after growth it can read below `VmRSS`.
    public static func peakResidentBytes() -> Int? {
        guard let text = status() else { return nil }
        guard let peak = field("VmHWM:", in: text) else { return nil }
        return max(peak, field("VmRSS:", in: text) ?? 0)
    }

    /// Current resident set size (`VmRSS`) in bytes.
    public static func residentBytes() -> Int? { status().flatMap { field("VmRSS:", in: $0) } }

    private static func status() -> String? { try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) }

    static func field(_ name: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let parts = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = parts.first.flatMap({ Int($0) }) else { return nil }
            let unit = parts.dropFirst().first ?? "kB"
            return unit == "kB" ? value * 1024 : value
        }
        return nil
    }
}

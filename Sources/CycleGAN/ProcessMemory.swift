import Foundation

/// Memory figures of the running process, from `/proc/self/status` (Linux).
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`) in bytes, or nil where `/proc` is unavailable.
    public static func peakResidentBytes() -> Int? { field("VmHWM:") }

    /// Current resident set size (`VmRSS`) in bytes.
    public static func residentBytes() -> Int? { field("VmRSS:") }

    static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let parts = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = parts.first.flatMap({ Int($0) }) else { return nil }
            let unit = parts.dropFirst().first ?? "kB"
            return unit == "kB" ? value * 1024 : value
        }
        return nil
    }
}

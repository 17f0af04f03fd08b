import Foundation

/// Sizes for people.
public enum ByteCount {
    /// `1.2 GB`, `588 GB`, `2.3e+05 EB`: decimal units, as disk and memory tools print them.
    public static func format(_ bytes: Double) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(Int(value)) bytes" }
        if value >= 1000 { return String(format: "%.2g %@", value, units[unit]) }
        return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[unit])
    }

    /// ``format(_:)`` of an integer size.
    public static func format(_ bytes: Int) -> String { format(Double(bytes)) }
}

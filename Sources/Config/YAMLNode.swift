/// A value of the YAML subset Herd reads: block maps, block and flow lists, and
/// scalars (null, booleans, integers, floats, strings), each with the place it
/// was written so that errors can name the line.
///
/// Equality compares values only, not source positions.
public struct YAMLNode: Sendable, Equatable, CustomStringConvertible {
    public enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        /// A non-negative integer literal too large for `Int` (up to `UInt64.max`).
        case unsignedInt(UInt64)
        case float(Double)
        case string(String)
        case list([YAMLNode])
        /// Entries in file order; keys are unique.
        case map([YAMLEntry])
    }

    public var value: Value
    /// 1-based line where the value starts (for a block map or list: its first entry).
    public var line: Int
    /// 1-based column where the value starts.
    public var column: Int
    /// A scalar as written in the file (plain text, or the unquoted content of
    /// a quoted string); empty for maps and lists.
    public var source: String

    public init(_ value: Value, line: Int = 0, column: Int = 0, source: String = "") {
        self.value = value
        self.line = line
        self.column = column
        self.source = source
    }

    public static func == (a: YAMLNode, b: YAMLNode) -> Bool { a.value == b.value }

    /// The entry for `key` when this node is a map.
    public subscript(key: String) -> YAMLNode? {
        guard case .map(let entries) = value else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// How the value reads in an error message: strings quoted, numbers as written,
    /// containers by kind, e.g. `"four"`, `4.5`, `null`, `a list`.
    public var description: String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int, .unsignedInt, .float: return source.isEmpty ? "\(value)" : source
        case .string(let s): return YAMLScalar.doubleQuoted(s)
        case .list: return "a list"
        case .map: return "a map"
        }
    }
}

/// One `key: value` of a block map.
public struct YAMLEntry: Sendable, Equatable {
    public var key: String
    /// 1-based line and column of the key.
    public var line: Int
    public var column: Int
    public var value: YAMLNode

    public init(key: String, line: Int = 0, column: Int = 0, value: YAMLNode) {
        self.key = key
        self.line = line
        self.column = column
        self.value = value
    }

    public static func == (a: YAMLEntry, b: YAMLEntry) -> Bool { a.key == b.key && a.value == b.value }
}

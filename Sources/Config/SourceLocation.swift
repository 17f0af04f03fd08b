/// A place in a configuration file: 1-based line and column (in characters).
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The file name as given to the parser (a path, or a label such as `<string>`).
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// 1-based column (characters, not bytes), or 0 when only the line is meaningful.
    public var column: Int

    public init(file: String, line: Int, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `cluster.yaml: line 12` or `cluster.yaml: line 12, column 5`.
    public var description: String {
        column > 0 ? "\(file): line \(line), column \(column)" : "\(file): line \(line)"
    }

    /// The same place without its column, for messages about a whole key.
    var lineOnly: SourceLocation { SourceLocation(file: file, line: line) }
}

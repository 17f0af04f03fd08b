/// Everything that can be wrong with a configuration file, each case naming
/// where (file, line and, for lexical problems, column) and what.
///
/// `description` is the sentence shown to the user, e.g.
/// `cluster.yaml: line 12: training.batch_size: expected an integer, found "four"`.
public enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadableFile(path: String, reason: String)
    /// The file is not UTF-8 text.
    case notText(path: String)
    /// A tab character in a line's indentation (YAML indents with spaces only).
    case tabIndentation(SourceLocation)
    /// A line indented where no nested block can start, or dedented to a level
    /// that matches no enclosing block.
    case badIndentation(SourceLocation, detail: String)
    /// A key appears twice in the same map.
    case duplicateKey(SourceLocation, key: String, firstLine: Int)
    /// A quoted string that does not close on its line.
    case unterminatedQuote(SourceLocation)
    /// A backslash escape a double-quoted string does not allow.
    case invalidEscape(SourceLocation, sequence: String)
    /// Any other malformed line (missing `:`, unclosed `[`, unsupported YAML feature, ...).
    case syntax(SourceLocation, detail: String)
    /// A key the run configuration does not have. `known` lists the keys allowed there.
    case unknownKey(SourceLocation, key: String, known: [String])
    /// A value of the wrong kind: `expected` is e.g. "an integer", `found` the value as written.
    case wrongType(SourceLocation, key: String, expected: String, found: String)
    /// A well-typed value that is not allowed (`lr: 0`, `crop_size: 300` with `load_size: 286`).
    /// The location is nil for configurations not read from a file.
    case invalidValue(SourceLocation?, key: String, reason: String)
    /// A JSON run configuration (or a checkpoint manifest's `config`) whose `field` is
    /// missing, of the wrong type or not allowed. `file` names the JSON file.
    case jsonField(file: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the configuration file: \(reason)"
        case .notText(let path):
            return "\(path): the configuration file is not UTF-8 text"
        case .tabIndentation(let at):
            return "\(at): tab character in the indentation; YAML indents with spaces only"
        case .badIndentation(let at, let detail):
            return "\(at): bad indentation: \(detail)"
        case .duplicateKey(let at, let key, let firstLine):
            return "\(at): duplicate key \"\(key)\" (first given on line \(firstLine))"
        case .unterminatedQuote(let at):
            return "\(at): unterminated quoted string (quotes must close on the same line)"
        case .invalidEscape(let at, let sequence):
            return "\(at): invalid escape sequence \"\(sequence)\" in a double-quoted string"
        case .syntax(let at, let detail):
            return "\(at): \(detail)"
        case .unknownKey(let at, let key, let known):
            let name = key.split(separator: ".").last.map(String.init) ?? key
            let guess = Self.closest(to: name, in: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            let list = known.isEmpty ? "" : "; known keys here: \(known.joined(separator: ", "))"
            return "\(at): unknown key \"\(key)\"\(guess)\(list)"
        case .wrongType(let at, let key, let expected, let found):
            return "\(at): \(key): expected \(expected), found \(found)"
        case .invalidValue(let at, let key, let reason):
            if let at { return "\(at): \(key): \(reason)" }
            return "\(key): \(reason)"
        case .jsonField(let file, let field, let reason):
            return "\(file): \(field.isEmpty ? "the document" : field): \(reason)"
        }
    }

    /// The known key within edit distance 2 of `name` (a typo), if exactly one is closest.
    static func closest(to name: String, in known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(Array(name), Array($0))) }.filter { $0.1 <= 2 }
        guard let best = scored.min(by: { $0.1 < $1.1 }), scored.filter({ $0.1 == best.1 }).count == 1 else { return nil }
        return best.0
    }

    /// Levenshtein distance between two strings' characters.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Where the problem is, when it is in a file.
    public var location: SourceLocation? {
        switch self {
        case .unreadableFile, .notText, .jsonField: return nil
        case .tabIndentation(let at), .badIndentation(let at, _), .duplicateKey(let at, _, _),
             .unterminatedQuote(let at), .invalidEscape(let at, _), .syntax(let at, _),
             .unknownKey(let at, _, _), .wrongType(let at, _, _, _):
            return at
        case .invalidValue(let at, _, _): return at
        }
    }
}

import Foundation

/// The shared secret every member of a cluster knows. It never crosses the wire:
/// peers prove they know it with HMAC-SHA256 over fresh nonces (`Handshake`).
public struct ClusterToken: Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    /// Shortest token accepted, in bytes.
    public static let minimumLength = 8

    /// A token from its text (surrounding whitespace and newlines are ignored).
    public init(_ text: String) throws(TokenError) {
        let trimmed = text.trimmedWhitespace
        guard trimmed.utf8.count >= Self.minimumLength else { throw .tooShort(length: trimmed.utf8.count) }
        bytes = Array(trimmed.utf8)
    }

    /// Reads the token from `file` if given, else from `HERD_TOKEN`, else from
    /// `defaultFile` when it exists.
    public static func load(file: String?, defaultFile: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(TokenError) -> ClusterToken {
        if let file, !file.isEmpty { return try read(file) }
        if let text = environment["HERD_TOKEN"], !text.isEmpty { return try ClusterToken(text) }
        if let defaultFile, FileManager.default.fileExists(atPath: defaultFile) { return try read(defaultFile) }
        throw .missing(defaultFile: defaultFile)
    }

    private static func read(_ path: String) throws(TokenError) -> ClusterToken {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadable(path: path) }
        do { return try ClusterToken(text) } catch { throw .inFile(path: path, error) }
    }

    /// A new random token (64 hex digits), for `herd token` or first runs.
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }.hexString
    }

    /// Never prints the secret.
    public var description: String { "ClusterToken(\(bytes.count) bytes)" }
}

/// Why no usable token was found.
public indirect enum TokenError: Error, CustomStringConvertible, Sendable {
    case missing(defaultFile: String?)
    case unreadable(path: String)
    case tooShort(length: Int)
    case inFile(path: String, TokenError)

    public var description: String {
        switch self {
        case .missing(let file):
            return "no cluster token: pass --token-file FILE or set HERD_TOKEN" + (file.map { " (or create \($0))" } ?? "")
        case .unreadable(let path): return "cannot read the cluster token file '\(path)'"
        case .tooShort(let n): return "the cluster token is \(n) bytes long; use at least \(ClusterToken.minimumLength) (e.g. 64 random hex digits)"
        case .inFile(let path, let e): return "token file '\(path)': \(e.description)"
        }
    }
}

import Glibc

/// The shared secret every coordinator and worker of one cluster must present.
///
/// It comes from `cluster.token_file`, or, when that file does not exist, from
/// the `HERD_TOKEN` environment variable. Surrounding whitespace (the newline
/// editors add) is ignored; the rest must be at least `minimumLength` printable
/// ASCII characters without spaces, and hard to guess: `estimatedBits` (its length
/// times the Shannon entropy of its characters; 0 for a run like "abcdefgh…")
/// must reach `minimumBits`. `herd token` writes one that does.
/// `description` never shows the secret.
public struct ClusterToken: Sendable, Equatable, CustomStringConvertible {
    /// Where a token came from; `description` reads "from file herd.token".
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case environment(variable: String)
        case generated

        public var description: String {
            switch self {
            case .file(let path): return "from file \(path)"
            case .environment(let variable): return "from environment variable \(variable)"
            case .generated: return "newly generated"
            }
        }
    }

    /// The environment variable consulted when the token file does not exist.
    public static let environmentVariable = "HERD_TOKEN"
    /// Shorter tokens are refused: 16 characters is the least that resists guessing.
    public static let minimumLength = 16
    /// Tokens estimated below this many bits are refused as guessable: an eavesdropper who
    /// records one handshake can test guesses offline against its proofs.
    public static let minimumBits = 64.0
    /// How to make a good token, for error messages.
    public static let howToMake = "make one with `herd token --output herd.token` (32 random bytes as hex, file mode 0600) and copy it to every machine"
    /// Longer files are refused (a token file holds one line).
    static let maxFileBytes = 4096

    /// The secret itself.
    public let value: String
    public let source: Source

    /// A token from `value`, checked like a loaded one.
    /// - Throws: `ClusterTokenError.tooShort` or `.invalidCharacters`.
    public init(_ value: String, source: Source = .generated) throws(ClusterTokenError) {
        let trimmed = Self.trimmed(value)
        guard trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .invalidCharacters(source: source)
        }
        guard trimmed.count >= Self.minimumLength else {
            throw .tooShort(source: source, length: trimmed.count, minimum: Self.minimumLength)
        }
        let bits = Self.estimatedBits(trimmed)
        guard bits >= Self.minimumBits else {
            throw .guessable(source: source, bits: Int(bits), minimum: Int(Self.minimumBits))
        }
        self.value = trimmed
        self.source = source
    }

    /// A rough upper bound on the guessing work for `text`, in bits: its length times the
    /// Shannon entropy of its character frequencies. A run with one constant step between
    /// neighbours ("aaaa…", "abcd…", "2468…") counts as 0. 64 random hex digits score ~250;
    /// 16 × "a" scores 0.
    public static func estimatedBits(_ text: String) -> Double {
        let bytes = Array(text.utf8)
        guard bytes.count > 1 else { return 0 }
        let steps = zip(bytes.dropFirst(), bytes).map { Int($0) - Int($1) }
        if Set(steps).count == 1 { return 0 }
        var counts: [UInt8: Int] = [:]
        for b in bytes { counts[b, default: 0] += 1 }
        let n = Double(bytes.count)
        let perCharacter = counts.values.reduce(0.0) { h, c in
            let p = Double(c) / n
            return h - p * log2(p)
        }
        return n * perCharacter
    }

    /// Loads the token from `file` if it exists, else from `HERD_TOKEN` in `environment`.
    /// - Parameters:
    ///   - file: `cluster.token_file` (relative paths are relative to the working directory).
    ///   - environment: the process environment (a parameter so tests can pass their own).
    /// - Throws: `ClusterTokenError.missing` when neither exists, `.unreadable` when the file
    ///   can't be read, `.tooShort` / `.invalidCharacters` for a bad token.
    public static func load(file: String, environment: [String: String]) throws(ClusterTokenError) -> ClusterToken {
        if TextFile.exists(file) {
            switch TextFile.read(file, maxBytes: maxFileBytes) {
            case .success(let text): return try ClusterToken(text, source: .file(file))
            case .failure(let failure): throw .unreadable(file: file, reason: failure.message)
            }
        }
        if let value = environment[environmentVariable], !trimmed(value).isEmpty {
            return try ClusterToken(value, source: .environment(variable: environmentVariable))
        }
        throw .missing(file: file, variable: environmentVariable)
    }

    /// A new random token: 32 bytes from `/dev/urandom` as 64 hex digits.
    /// - Throws: `ClusterTokenError.randomUnavailable` when `/dev/urandom` can't be read.
    public static func generate() throws(ClusterTokenError) -> ClusterToken {
        var bytes = [UInt8](repeating: 0, count: 32)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .randomUnavailable(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.read(fd, base + filled, buffer.count - filled)
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw .randomUnavailable(reason: n == 0 ? "unexpected end of /dev/urandom" : String(cString: strerror(errno)))
            }
            filled += n
        }
        let hex = bytes.map { b in String(b >> 4, radix: 16) + String(b & 15, radix: 16) }.joined()
        return try ClusterToken(hex, source: .generated)
    }

    /// Writes the token to `path` (one line, created with permissions 0600 so
    /// other users can't read it; an existing file is replaced).
    /// - Throws: `ClusterTokenError.unwritable`.
    public func write(to path: String) throws(ClusterTokenError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .unwritable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw .unwritable(file: path, reason: String(cString: strerror(errno))) }
        let line = Array((value + "\n").utf8)
        var written = 0
        while written < line.count {
            let n = line.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(fd, base + written, buffer.count - written)
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .unwritable(file: path, reason: String(cString: strerror(errno))) }
            written += n
        }
    }

    /// Redacted: `cluster token (64 characters, from file herd.token)`.
    public var description: String { "cluster token (\(value.count) characters, \(source))" }

    private static func trimmed(_ s: String) -> String {
        var scalars = Substring(s).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" || first == "\n" || first == "\r" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}

/// Why no usable cluster token was found.
public enum ClusterTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither the token file nor the environment variable exists.
    case missing(file: String, variable: String)
    /// The token file exists but can't be read.
    case unreadable(file: String, reason: String)
    /// The token is shorter than the minimum (after trimming whitespace).
    case tooShort(source: ClusterToken.Source, length: Int, minimum: Int)
    /// The token holds spaces, control or non-ASCII characters.
    case invalidCharacters(source: ClusterToken.Source)
    /// The token is long enough but too regular to resist guessing.
    case guessable(source: ClusterToken.Source, bits: Int, minimum: Int)
    /// `/dev/urandom` could not be read.
    case randomUnavailable(reason: String)
    /// The token file could not be written.
    case unwritable(file: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let file, let variable):
            return "no cluster token: the token file \(file) does not exist and \(variable) is not set; "
                + "make one with `herd token --output \(file)` (32 random bytes as hex, file mode 0600) and copy it to every machine, "
                + "or set \(variable) (the same token on every machine of the cluster)"
        case .unreadable(let file, let reason):
            return "cannot read the cluster token file \(file): \(reason)"
        case .tooShort(let source, let length, let minimum):
            return "the cluster token (\(source)) is too short: \(length) characters, at least \(minimum) are needed; "
                + ClusterToken.howToMake
        case .guessable(let source, let bits, let minimum):
            return "the cluster token (\(source)) is too easy to guess: about \(bits) bits of randomness, "
                + "at least \(minimum) are needed (it is repetitive or a simple run); " + ClusterToken.howToMake
        case .invalidCharacters(let source):
            return "the cluster token (\(source)) must be printable ASCII without spaces"
        case .randomUnavailable(let reason):
            return "cannot generate a cluster token: /dev/urandom: \(reason)"
        case .unwritable(let file, let reason):
            return "cannot write the cluster token file \(file): \(reason)"
        }
    }
}

/// Why a gzip or zip archive could not be read; `offset` is the byte position in the archive.
public struct ArchiveFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The archive ends before `reason` (a download cut short).
        case truncated
        /// Bytes that are not what the format allows, or a checksum that does not match.
        case corrupt
        /// A valid feature this reader does not implement (encryption, Zip64, other methods).
        case unsupported
        /// The reader's consumer stopped the extraction (it keeps its own reason).
        case stopped
    }

    public var kind: Kind
    public var offset: Int
    public var reason: String

    public init(_ kind: Kind, offset: Int, _ reason: String) {
        self.kind = kind
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch kind {
        case .truncated: return "truncated at byte \(offset): missing \(reason)"
        case .corrupt: return "corrupt at byte \(offset): \(reason)"
        case .unsupported: return "unsupported at byte \(offset): \(reason)"
        case .stopped: return "stopped at byte \(offset): \(reason)"
        }
    }

    init(_ error: InflateError, base: Int, what: String) {
        switch error.kind {
        case .truncated: self.init(.truncated, offset: base + error.offset, "\(error.reason) of \(what)")
        case .malformed: self.init(.corrupt, offset: base + error.offset, "\(error.reason) in \(what)")
        case .stopped: self.init(.stopped, offset: base + error.offset, error.reason)
        }
    }
}

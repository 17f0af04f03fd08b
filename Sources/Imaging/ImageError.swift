/// Why bytes could not be decoded as an image. Every case names what was wrong
/// and, for data errors, the byte offset in the input where it was found.
public enum ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Neither a JPEG nor a PNG signature at byte 0.
    case unknownFormat(firstBytes: [UInt8])
    /// The data ends at `offset` while `expected` was still to be read.
    case truncated(ImageFormat, offset: Int, expected: String)
    /// A structure at `offset` is invalid.
    case malformed(ImageFormat, offset: Int, reason: String)
    /// Valid but uses a feature the codec does not implement (arithmetic coding, 12-bit JPEG, ...).
    case unsupported(ImageFormat, offset: Int, feature: String)
    /// A stored checksum (PNG chunk CRC-32, zlib Adler-32) does not match the data.
    case checksumMismatch(ImageFormat, offset: Int, what: String, stored: UInt32, computed: UInt32)
    /// The header at `offset` declares more pixels than the decoder accepts.
    case tooLarge(ImageFormat, offset: Int, width: Int, height: Int, limit: Int)
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file could not be written (or its extension names no format we write).
    case unwritableFile(path: String, reason: String)
    /// Decoding the file at `path` failed with the wrapped error.
    indirect case inFile(path: String, ImageError)

    public var description: String {
        switch self {
        case .unknownFormat(let first):
            if first.isEmpty { return "not an image: the data is empty" }
            let hex = first.prefix(8).map { String($0, radix: 16, uppercase: true) }
                .map { $0.count == 1 ? "0" + $0 : $0 }.joined(separator: " ")
            return "not a JPEG or PNG image: unknown signature \(hex) at byte 0"
        case .truncated(let format, let offset, let expected):
            return "\(format) data is truncated at byte \(offset): expected \(expected)"
        case .malformed(let format, let offset, let reason):
            return "corrupt \(format) at byte \(offset): \(reason)"
        case .unsupported(let format, let offset, let feature):
            return "unsupported \(format) feature at byte \(offset): \(feature)"
        case .checksumMismatch(let format, let offset, let what, let stored, let computed):
            return "corrupt \(format) at byte \(offset): \(what) checksum mismatch (stored "
                + "\(hex32(stored)), computed \(hex32(computed)))"
        case .tooLarge(let format, let offset, let width, let height, let limit):
            return "\(format) header at byte \(offset) declares \(width)x\(height) pixels, "
                + "more than the limit of \(limit)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unwritableFile(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .inFile(let path, let error):
            return "\(path): \(error)"
        }
    }

    /// The error without any file wrapper.
    public var underlying: ImageError {
        if case .inFile(_, let inner) = self { return inner.underlying }
        return self
    }

    /// The byte offset the error points at, if it is a data error.
    public var offset: Int? {
        switch underlying {
        case .truncated(_, let offset, _), .malformed(_, let offset, _), .unsupported(_, let offset, _),
             .checksumMismatch(_, let offset, _, _, _), .tooLarge(_, let offset, _, _, _):
            return offset
        case .unknownFormat:
            return 0
        default:
            return nil
        }
    }
}

private func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

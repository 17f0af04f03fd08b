/// Everything that can be wrong with bytes received from a peer.
///
/// Each case names the field or frame and the byte offset, so a refused peer's
/// log line says exactly what it sent wrong.
public enum WireError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The stream did not start with Herd's 4-byte magic.
    case badMagic([UInt8])
    /// The peer speaks another protocol version.
    case versionMismatch(peer: UInt32, ours: UInt32)
    /// A frame header announced a payload larger than the limit.
    case frameTooLarge(length: Int, limit: Int)
    /// A frame header's reserved bits were not zero.
    case badHeader(String)
    /// The payload's CRC32 differs from the header's.
    case checksumMismatch(kind: UInt8, expected: UInt32, actual: UInt32)
    /// A frame type this version does not know.
    case unknownKind(UInt8)
    /// A field ran past the end of its frame.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    /// A field had a value that cannot be right (negative count, bad UTF-8, wrong size...).
    case invalid(field: String, offset: Int, reason: String)
    /// Bytes were left after the last field of a message.
    case trailingBytes(kind: String, count: Int)
    /// A message arrived that is not allowed at this point of the conversation.
    case unexpected(message: String, expected: String)
    /// A sealed frame failed its Poly1305 tag.
    case sealBroken(kind: UInt8, frame: UInt64)
    /// A frame after the handshake was not sealed (or one before it was).
    case sealMismatch(kind: UInt8, sealed: Bool)

    public var description: String {
        switch self {
        case .badMagic(let bytes):
            return "the peer did not start with the Herd magic \"HERD\" (got \(bytes.map { String($0, radix: 16) }.joined(separator: " "))): not a Herd peer"
        case .versionMismatch(let peer, let ours):
            return "the peer speaks Herd protocol version \(peer), this build speaks version \(ours); run the same Herd version everywhere"
        case .frameTooLarge(let length, let limit):
            return "a frame announced \(length) bytes of payload, over the limit of \(limit) bytes"
        case .badHeader(let why):
            return "malformed frame header: \(why)"
        case .checksumMismatch(let kind, let expected, let actual):
            return "frame of type \(kind) failed its CRC32 check (header says \(String(expected, radix: 16)), payload has \(String(actual, radix: 16)))"
        case .unknownKind(let kind):
            return "unknown frame type \(kind)"
        case .truncated(let field, let offset, let needed, let available):
            return "field '\(field)' at byte \(offset) needs \(needed) bytes but only \(available) remain in the frame"
        case .invalid(let field, let offset, let reason):
            return "field '\(field)' at byte \(offset) is invalid: \(reason)"
        case .trailingBytes(let kind, let count):
            return "\(count) unexpected bytes after the last field of a '\(kind)' message"
        case .unexpected(let message, let expected):
            return "received '\(message)' while expecting \(expected)"
        case .sealBroken(let kind, let frame):
            return "sealed frame \(frame) (type \(kind)) failed its authentication tag: it was altered, replayed, "
                + "reordered or cut on the way (or the peer holds another token); the connection is closed"
        case .sealMismatch(let kind, let sealed):
            return sealed
                ? "received a sealed frame (type \(kind)) where an unsealed one belongs (before the handshake ended, "
                    + "or this side runs with \(FrameSeal.unsealedVariable)=1 and the peer does not; both sides must agree)"
                : "received an unsealed frame (type \(kind)) after the handshake: every frame must be sealed "
                    + "(is the peer running with \(FrameSeal.unsealedVariable)=1? both sides must agree)"
        }
    }
}

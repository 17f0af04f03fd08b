/// One unit on the wire: a 12-byte header then `payload`.
///
/// Header layout (little-endian):
///
///     offset 0  UInt32  payload length in bytes (≤ the receiver's limit)
///     offset 4  UInt8   kind (`MessageKind` raw value)
///     offset 5  UInt8   flags (0; `FrameSeal.sealedFlag` once the connection is sealed)
///     offset 6  UInt16  reserved (0)
///     offset 8  UInt32  CRC32 of the payload (0 in a sealed frame, whose tag follows the payload)
public struct Frame: Sendable, Equatable {
    public static let headerSize = 12
    /// Default limit on a payload: 64 MiB. Bulk state travels in chunks well below it.
    public static let defaultMaxPayload = 64 << 20

    public var kind: UInt8
    public var payload: [UInt8]

    public init(kind: UInt8, payload: [UInt8]) {
        self.kind = kind
        self.payload = payload
    }

    /// Header followed by payload, ready to send.
    public func encoded() -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(Self.headerSize + payload.count)
        Self.appendHeader(to: &out, kind: kind, payloadCount: payload.count, crc: CRC32.checksum(payload))
        out.append(contentsOf: payload)
        return out
    }

    static func appendHeader(to out: inout [UInt8], kind: UInt8, payloadCount: Int, crc: UInt32, flags: UInt8 = 0) {
        withUnsafeBytes(of: UInt32(payloadCount).littleEndian) { out.append(contentsOf: $0) }
        out.append(kind)
        out.append(flags)
        out.append(0); out.append(0)
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
    }
}

/// The 8 bytes each side sends first: "HERD" then the protocol version (UInt32 LE).
///
/// The preamble and the `refused` frame keep this layout in every version, so an
/// old peer is always told why it was turned away.
public enum Preamble {
    public static let magic: [UInt8] = Array("HERD".utf8)
    /// Version 2: step plans carry each slot's sample plan and workers pull files
    /// (`blobRequest`) by content hash. (Version 1 pushed float crops.) Version 3:
    /// `reduced` also says how long the worker waited at the ring's barrier. Version 4:
    /// sealed frames, token proven over a transcript hash. Version 5: the first part of the
    /// gradient may be all-reduced in pieces (CycleGAN: `G_AB`'s floats mid-pass, then
    /// `G_BA`'s), so a step has one all-reduce more than a version-4 ring expects.
    public static let version: UInt32 = 5
    public static let size = 8

    public static func bytes(version: UInt32 = Preamble.version) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: version.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// Parses a peer's preamble, returning its version.
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> UInt32 {
        guard bytes.count == size, Array(bytes[0..<4]) == magic else { throw .badMagic(Array(bytes.prefix(8))) }
        return UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
    }
}

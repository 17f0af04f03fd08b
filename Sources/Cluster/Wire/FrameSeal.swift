import Foundation

/// One direction of a connection's sealing: its key and the number of its next frame.
///
/// After the handshake every frame is sealed with AEAD_CHACHA20_POLY1305 (RFC 8439):
/// the 12-byte header is the additional data (authenticated, readable: the receiver
/// needs the length to cut the stream), the payload is enciphered, and the 16-byte tag
/// follows it (the header's length counts it). The nonce is 4 zero bytes and the frame's
/// number as a little-endian UInt64; both sides count frames, so a frame that is
/// altered, dropped, replayed or reordered fails its tag and ends the connection. Each
/// direction has its own key (see `Handshake`), so no nonce is ever used twice under a key.
/// Sealed frames carry flag `sealedFlag` and a zero CRC field: Poly1305 catches every
/// corruption CRC32 would, and more.
public struct FrameSeal: Sendable {
    /// Bytes a sealed frame adds after its payload (the tag).
    public static let overhead = ChaCha20Poly1305.tagCount
    /// The header flag of a sealed frame.
    public static let sealedFlag: UInt8 = 1

    /// Set to 1, frames after the handshake are NOT sealed (CRC32 only): for measuring what
    /// sealing costs. Anyone on the path can then read and change everything; both sides must agree.
    public static let unsealedVariable = "HERD_UNSEALED_WIRE"
    /// Whether this process runs with the wire unsealed (`unsealedVariable` = 1).
    public static let wireIsUnsealed: Bool = ProcessInfo.processInfo.environment[unsealedVariable] == "1"
    /// The warning a process running unsealed prints at start.
    public static let unsealedWarning = "WARNING: \(unsealedVariable)=1: frames after the handshake are NOT sealed. "
        + "Anyone on the network path can READ the config, images and parameters and INJECT gradients. "
        + "Use this only to measure what sealing costs, on a network you own."

    private let key: SIMD8<UInt32>
    /// The number of the next frame in this direction.
    public private(set) var counter: UInt64 = 0

    /// A direction keyed with `key` (32 bytes), starting at frame 0.
    public init(key: [UInt8]) {
        self.key = ChaCha20.keyWords(key)
    }

    /// The AEAD for the next frame, whose header is `header` (and counts it).
    mutating func next(header: UnsafeRawBufferPointer) -> ChaCha20Poly1305.Stream {
        let n = counter
        counter &+= 1
        let nonce = SIMD4<UInt32>(0, UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32), 0)
        return ChaCha20Poly1305.Stream(cipher: ChaCha20(keyWords: key, nonceWords: nonce), aad: header)
    }

    /// Whether a computed tag equals the received one (in time independent of where they differ).
    static func tagMatches(_ tag: [UInt8], _ received: UnsafeRawBufferPointer) -> Bool {
        guard tag.count == received.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<tag.count { diff |= tag[i] ^ received[i] }
        return diff == 0
    }

    /// The whole sealed frame of `kind` with `payload`.
    mutating func seal(kind: UInt8, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Frame.headerSize + payload.count + Self.overhead)
        Frame.appendHeader(to: &out, kind: kind, payloadCount: payload.count + Self.overhead, crc: 0, flags: Self.sealedFlag)
        var stream = out.withUnsafeBytes { next(header: $0) }
        out.append(contentsOf: payload)
        out.withUnsafeMutableBytes { buf in
            let body = buf.baseAddress! + Frame.headerSize
            stream.seal(from: body, to: body, count: payload.count)
        }
        out.append(contentsOf: stream.tag())
        return out
    }
}

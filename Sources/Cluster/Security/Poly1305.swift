/// The Poly1305 one-time authenticator (RFC 8439 §2.5), incremental.
///
/// The accumulator `h` is held in two 64-bit words and a small third (bits 128 and up),
/// the clamped key `r` in two words. Multiplying by `r` takes four 64 x 64 -> 128-bit
/// products and two small ones per 16-byte block: the clamping clears the top four bits
/// of each `r` word and the low two of `r1`, so the product's part above 2^130 folds
/// back in as `h1 * (r1 + r1 >> 2)` (= 5 r1 / 4), and the sums never overflow a `UInt128`.
/// After each block `h` is only partly reduced (below 2^130 plus a little); `finalize`
/// reduces it fully.
///
///     var mac = Poly1305(key: oneTimeKey)   // 32 bytes, never reused
///     mac.update(bytes)
///     let tag = mac.finalize()              // 16 bytes
public struct Poly1305: Sendable {
    /// Key length in bytes.
    public static let keyCount = 32
    /// Tag length in bytes.
    public static let tagCount = 16

    private let r0: UInt64, r1: UInt64
    /// `r1 + r1 >> 2`: `r1`'s share of the part of a product above 2^130, times 5.
    private let s1: UInt64
    private let pad0: UInt64, pad1: UInt64
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
    /// A partial block waiting for more bytes.
    private var pending = SIMD16<UInt8>()
    private var pendingCount = 0

    /// An authenticator for the one-time `key` (32 bytes: clamped r, then s).
    public init(key: UnsafeRawBufferPointer) {
        precondition(key.count == Self.keyCount, "Poly1305 needs a 32-byte key")
        r0 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) & 0x0fff_fffc_0fff_ffff
        r1 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & 0x0fff_fffc_0fff_fffc
        s1 = r1 &+ (r1 >> 2)
        pad0 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        pad1 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// An authenticator for the one-time `key` (32 bytes).
    public init(key: [UInt8]) {
        self = key.withUnsafeBytes { Poly1305(key: $0) }
    }

    /// Feeds message bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var left = bytes.count
        if pendingCount > 0 {
            let take = min(left, 16 - pendingCount)
            for i in 0..<take { pending[pendingCount + i] = p.load(fromByteOffset: i, as: UInt8.self) }
            pendingCount += take; p += take; left -= take
            guard pendingCount == 16 else { return }
            let block = pending
            withUnsafeBytes(of: block) { blocks($0.baseAddress!, count: 16, final: false) }
            pendingCount = 0
        }
        let whole = left & ~15
        if whole > 0 { blocks(p, count: whole, final: false) }
        p += whole; left -= whole
        for i in 0..<left { pending[i] = p.load(fromByteOffset: i, as: UInt8.self) }
        pendingCount = left
    }

    /// Feeds message bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds zero bytes up to the next multiple of 16 (the AEAD's padding).
    public mutating func padToBlock() {
        guard pendingCount > 0 else { return }
        for i in pendingCount..<16 { pending[i] = 0 }
        let block = pending
        withUnsafeBytes(of: block) { blocks($0.baseAddress!, count: 16, final: false) }
        pendingCount = 0
    }

    /// Processes `count` bytes (a multiple of 16) of whole blocks; `final` marks the padded last
    /// partial block, which gets its 1 bit inside the block instead of at bit 128.
    private mutating func blocks(_ p: UnsafeRawPointer, count: Int, final: Bool) {
        let hibit: UInt64 = final ? 0 : 1
        var h0 = self.h0, h1 = self.h1, h2 = self.h2
        let r0 = self.r0, r1 = self.r1, s1 = self.s1
        var offset = 0
        while offset < count {
            // h += block (and its 1 bit at 2^128).
            let m0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let m1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            let (a0, c0) = h0.addingReportingOverflow(m0)
            let (a1, c1) = h1.addingReportingOverflow(m1)
            let (b1, c2) = a1.addingReportingOverflow(c0 ? 1 : 0)
            h0 = a0; h1 = b1
            h2 &+= (c1 ? 1 : 0) &+ (c2 ? 1 : 0) &+ hibit
            // h *= r, partly reduced: 2^128 ≡ 5/4 · 2^130 / 2^2 folds through s1 (h2 is a few bits).
            let d0 = UInt128(h0) &* UInt128(r0) &+ UInt128(h1) &* UInt128(s1)
            var d1 = UInt128(h0) &* UInt128(r1) &+ UInt128(h1) &* UInt128(r0) &+ UInt128(h2 &* s1)
            let t2 = h2 &* r0
            h0 = UInt64(truncatingIfNeeded: d0)
            d1 &+= d0 >> 64
            h1 = UInt64(truncatingIfNeeded: d1)
            h2 = t2 &+ UInt64(truncatingIfNeeded: d1 >> 64)
            // The bits at 2^130 and up, times 5, back into the low ones.
            let c = (h2 >> 2) &+ (h2 & ~3)
            h2 &= 3
            let (e0, k0) = h0.addingReportingOverflow(c)
            let (e1, k1) = h1.addingReportingOverflow(k0 ? 1 : 0)
            h0 = e0; h1 = e1
            h2 &+= k1 ? 1 : 0
            offset += 16
        }
        self.h0 = h0; self.h1 = h1; self.h2 = h2
    }

    /// The 16-byte tag. The authenticator must not be used afterwards.
    public mutating func finalize() -> [UInt8] {
        if pendingCount > 0 {
            pending[pendingCount] = 1
            for i in (pendingCount + 1)..<16 { pending[i] = 0 }
            let block = pending
            withUnsafeBytes(of: block) { blocks($0.baseAddress!, count: 16, final: true) }
            pendingCount = 0
        }
        // h < 2p here: h - p = h + 5 - 2^130 when that does not go negative, i.e. when h + 5 reaches 2^130.
        let (g0, k0) = h0.addingReportingOverflow(5)
        let (g1, k1) = h1.addingReportingOverflow(k0 ? 1 : 0)
        let g2 = h2 &+ (k1 ? 1 : 0)
        let useG = 0 &- (g2 >> 2)   // all ones when h >= p
        let low = (h0 & ~useG) | (g0 & useG)
        let high = (h1 & ~useG) | (g1 & useG)
        // (h + s) mod 2^128.
        let (t0, carry) = low.addingReportingOverflow(pad0)
        let t1 = high &+ pad1 &+ (carry ? 1 : 0)
        var tag = [UInt8](repeating: 0, count: 16)
        tag.withUnsafeMutableBytes { out in
            out.storeBytes(of: t0.littleEndian, toByteOffset: 0, as: UInt64.self)
            out.storeBytes(of: t1.littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        return tag
    }

    /// The tag of `message` under the one-time `key`.
    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var p = Poly1305(key: key)
        p.update(message)
        return p.finalize()
    }
}

/// The Poly1305 one-time authenticator (RFC 8439 §2.5), incremental.
///
/// The accumulator `h` and the clamped key `r` are held in three limbs of 44, 44
/// and 42 bits, so each product of two limbs fits a `UInt128` with room for the
/// sums of three; reduction modulo 2^130 - 5 folds the bits above 130 back in
/// times 5 (which is why `r1` and `r2` are also kept premultiplied by 5 · 4).
///
///     var mac = Poly1305(key: oneTimeKey)   // 32 bytes, never reused
///     mac.update(bytes)
///     let tag = mac.finalize()              // 16 bytes
public struct Poly1305: Sendable {
    /// Key length in bytes.
    public static let keyCount = 32
    /// Tag length in bytes.
    public static let tagCount = 16

    private static let mask44: UInt64 = (1 << 44) - 1
    private static let mask42: UInt64 = (1 << 42) - 1

    private let r0: UInt64, r1: UInt64, r2: UInt64
    private let s1: UInt64, s2: UInt64
    private let pad0: UInt64, pad1: UInt64
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
    /// A partial block waiting for more bytes.
    private var pending = SIMD16<UInt8>()
    private var pendingCount = 0

    /// An authenticator for the one-time `key` (32 bytes: clamped r, then s).
    public init(key: UnsafeRawBufferPointer) {
        precondition(key.count == Self.keyCount, "Poly1305 needs a 32-byte key")
        let t0 = key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        let t1 = key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        r0 = t0 & 0xffc_0fff_ffff
        r1 = ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff
        r2 = (t1 >> 24) & 0x00f_ffff_fc0f
        s1 = r1 * (5 << 2)
        s2 = r2 * (5 << 2)
        pad0 = key.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        pad1 = key.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
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
        let hibit: UInt64 = final ? 0 : 1 << 40
        var h0 = self.h0, h1 = self.h1, h2 = self.h2
        let r0 = self.r0, r1 = self.r1, r2 = self.r2, s1 = self.s1, s2 = self.s2
        var offset = 0
        while offset < count {
            let t0 = p.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let t1 = p.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
            h0 &+= t0 & Self.mask44
            h1 &+= ((t0 >> 44) | (t1 << 20)) & Self.mask44
            h2 &+= ((t1 >> 24) & Self.mask42) | hibit
            let d0 = UInt128(h0) &* UInt128(r0) &+ UInt128(h1) &* UInt128(s2) &+ UInt128(h2) &* UInt128(s1)
            var d1 = UInt128(h0) &* UInt128(r1) &+ UInt128(h1) &* UInt128(r0) &+ UInt128(h2) &* UInt128(s2)
            var d2 = UInt128(h0) &* UInt128(r2) &+ UInt128(h1) &* UInt128(r1) &+ UInt128(h2) &* UInt128(r0)
            var c = UInt64(truncatingIfNeeded: d0 >> 44); h0 = UInt64(truncatingIfNeeded: d0) & Self.mask44
            d1 &+= UInt128(c); c = UInt64(truncatingIfNeeded: d1 >> 44); h1 = UInt64(truncatingIfNeeded: d1) & Self.mask44
            d2 &+= UInt128(c); c = UInt64(truncatingIfNeeded: d2 >> 42); h2 = UInt64(truncatingIfNeeded: d2) & Self.mask42
            h0 &+= c &* 5; c = h0 >> 44; h0 &= Self.mask44
            h1 &+= c
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
        var h0 = self.h0, h1 = self.h1, h2 = self.h2
        // Carry fully.
        var c = h1 >> 44; h1 &= Self.mask44
        h2 &+= c; c = h2 >> 42; h2 &= Self.mask42
        h0 &+= c &* 5; c = h0 >> 44; h0 &= Self.mask44
        h1 &+= c; c = h1 >> 44; h1 &= Self.mask44
        h2 &+= c; c = h2 >> 42; h2 &= Self.mask42
        h0 &+= c &* 5; c = h0 >> 44; h0 &= Self.mask44
        h1 &+= c
        // g = h + 5 - 2^130: use it when it does not go negative, i.e. when h >= p.
        var g0 = h0 &+ 5; c = g0 >> 44; g0 &= Self.mask44
        var g1 = h1 &+ c; c = g1 >> 44; g1 &= Self.mask44
        var g2 = h2 &+ c &- (1 << 42)
        let useG = (g2 >> 63) &- 1   // all ones when g2 did not borrow
        g0 &= useG; g1 &= useG; g2 &= useG
        let useH = ~useG
        h0 = (h0 & useH) | g0; h1 = (h1 & useH) | g1; h2 = (h2 & useH) | g2
        // h + s mod 2^128.
        h0 &+= pad0 & Self.mask44; c = h0 >> 44; h0 &= Self.mask44
        h1 &+= (((pad0 >> 44) | (pad1 << 20)) & Self.mask44) &+ c; c = h1 >> 44; h1 &= Self.mask44
        h2 &+= ((pad1 >> 24) & Self.mask42) &+ c; h2 &= Self.mask42
        let low = h0 | (h1 << 44)
        let high = (h1 >> 20) | (h2 << 24)
        var tag = [UInt8](repeating: 0, count: 16)
        tag.withUnsafeMutableBytes { out in
            out.storeBytes(of: low.littleEndian, toByteOffset: 0, as: UInt64.self)
            out.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt64.self)
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

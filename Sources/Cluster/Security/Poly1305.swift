/// The Poly1305 one-time authenticator (RFC 8439 §2.5), incremental.
///
/// Numbers mod p = 2^130 - 5 are held in three limbs of 44, 44 and 42 bits, in 64-bit
/// words, so a product of two numbers is nine 64 x 64 -> 128-bit products summed per limb
/// with room to spare: a part at 2^130 and up folds back in times 5 (`s` = 20 r, as the
/// limbs sit at 2^0, 2^44 and 2^88 and 2^132 = 4 · 2^130).
///
/// Blocks go four at a time with the key's powers r^4 ... r^1 (computed once per key):
/// h' = (h + m1) r^4 + m2 r^3 + m3 r^2 + m4 r, which is Horner's rule over the four
/// blocks rewritten so that the four products are independent. The serial chain is then
/// one multiplication per 64 bytes instead of one per 16: 1.6x the speed of one block at a
/// time on one core of the development machine (3.9 against 2.5 GB/s). After each step
/// `h` is only partly reduced (limbs a little over their width); `finalize` reduces it fully.
///
///     var mac = Poly1305(key: oneTimeKey)   // 32 bytes, never reused
///     mac.update(bytes)
///     let tag = mac.finalize()              // 16 bytes
public struct Poly1305: Sendable {
    /// Key length in bytes.
    public static let keyCount = 32
    /// Tag length in bytes.
    public static let tagCount = 16

    /// A number mod p in limbs of 44, 44 and 42 bits (each may run a few bits over).
    struct Limbs {
        var l0: UInt64, l1: UInt64, l2: UInt64

        static let mask44: UInt64 = (1 << 44) - 1
        static let mask42: UInt64 = (1 << 42) - 1

        /// The 16 bytes at `p` (little-endian) plus `high` (2^128 for a whole block, else 0).
        @inline(__always)
        init(block p: UnsafeRawPointer, high: UInt64) {
            let t0 = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
            let t1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            l0 = t0 & Self.mask44
            l1 = ((t0 >> 44) | (t1 << 20)) & Self.mask44
            l2 = (t1 >> 24) | high
        }

        @inline(__always)
        init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64) { self.l0 = l0; self.l1 = l1; self.l2 = l2 }

        @inline(__always)
        static func + (a: Limbs, b: Limbs) -> Limbs { Limbs(a.l0 &+ b.l0, a.l1 &+ b.l1, a.l2 &+ b.l2) }
    }

    /// A multiplier: a power of r, and its upper limbs times 20 for the fold.
    struct Multiplier {
        let r0: UInt64, r1: UInt64, r2: UInt64
        let s1: UInt64, s2: UInt64

        init(_ r: Limbs) {
            r0 = r.l0; r1 = r.l1; r2 = r.l2
            s1 = r1 &* 20; s2 = r2 &* 20
        }

        /// The product of `h` and this multiplier, as three unreduced limb sums.
        @inline(__always)
        func times(_ h: Limbs) -> (UInt128, UInt128, UInt128) {
            let d0 = UInt128(h.l0) &* UInt128(r0) &+ UInt128(h.l1) &* UInt128(s2) &+ UInt128(h.l2) &* UInt128(s1)
            let d1 = UInt128(h.l0) &* UInt128(r1) &+ UInt128(h.l1) &* UInt128(r0) &+ UInt128(h.l2) &* UInt128(s2)
            let d2 = UInt128(h.l0) &* UInt128(r2) &+ UInt128(h.l1) &* UInt128(r1) &+ UInt128(h.l2) &* UInt128(r0)
            return (d0, d1, d2)
        }
    }

    /// Unreduced limb sums carried back into limbs (partly reduced: `l1` may exceed 44 bits by a little).
    @inline(__always)
    static func carry(_ d: (UInt128, UInt128, UInt128)) -> Limbs {
        var (d0, d1, d2) = d
        let h0 = UInt64(truncatingIfNeeded: d0) & Limbs.mask44
        d1 &+= d0 >> 44
        let h1 = UInt64(truncatingIfNeeded: d1) & Limbs.mask44
        d2 &+= d1 >> 44
        let h2 = UInt64(truncatingIfNeeded: d2) & Limbs.mask42
        d0 = d2 >> 42   // the part at 2^130 and up, below 2^60
        let folded = h0 &+ UInt64(truncatingIfNeeded: d0) &* 5
        return Limbs(folded & Limbs.mask44, h1 &+ (folded >> 44), h2)
    }

    @inline(__always)
    static func sum(_ a: (UInt128, UInt128, UInt128), _ b: (UInt128, UInt128, UInt128)) -> (UInt128, UInt128, UInt128) {
        (a.0 &+ b.0, a.1 &+ b.1, a.2 &+ b.2)
    }

    /// r, r^2, r^3, r^4.
    private let p1: Multiplier, p2: Multiplier, p3: Multiplier, p4: Multiplier
    private let pad0: UInt64, pad1: UInt64
    private var h = Limbs(0, 0, 0)
    /// A partial block waiting for more bytes.
    private var pending = SIMD16<UInt8>()
    private var pendingCount = 0

    /// An authenticator for the one-time `key` (32 bytes: clamped r, then s).
    public init(key: UnsafeRawBufferPointer) {
        precondition(key.count == Self.keyCount, "Poly1305 needs a 32-byte key")
        let t0 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) & 0x0fff_fffc_0fff_ffff
        let t1 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & 0x0fff_fffc_0fff_fffc
        let r = Limbs(t0 & Limbs.mask44, ((t0 >> 44) | (t1 << 20)) & Limbs.mask44, t1 >> 24)
        p1 = Multiplier(r)
        let r2 = Self.carry(p1.times(r))
        p2 = Multiplier(r2)
        p3 = Multiplier(Self.carry(p1.times(r2)))
        p4 = Multiplier(Self.carry(p2.times(r2)))
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
        let high: UInt64 = final ? 0 : 1 << 40   // 2^128 in the top limb
        var h = self.h
        // Four blocks at a time; the three products that do not involve h go first.
        var q = p
        let end = p + (count & ~63)
        while q < end {
            let rest = Self.sum(p3.times(Limbs(block: q + 16, high: high)),
                                Self.sum(p2.times(Limbs(block: q + 32, high: high)), p1.times(Limbs(block: q + 48, high: high))))
            h = Self.carry(Self.sum(p4.times(h + Limbs(block: q, high: high)), rest))
            q += 64
        }
        while q < p + count {
            h = Self.carry(p1.times(h + Limbs(block: q, high: high)))
            q += 16
        }
        self.h = h
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
        let mask44 = Limbs.mask44, mask42 = Limbs.mask42
        // Carry fully: every limb within its width, h below 2^130 (still possibly >= p).
        var h0 = h.l0, h1 = h.l1, h2 = h.l2
        var c = h1 >> 44; h1 &= mask44; h2 &+= c
        c = h2 >> 42; h2 &= mask42; h0 &+= c &* 5
        c = h0 >> 44; h0 &= mask44; h1 &+= c
        c = h1 >> 44; h1 &= mask44; h2 &+= c
        c = h2 >> 42; h2 &= mask42; h0 &+= c &* 5
        c = h0 >> 44; h0 &= mask44; h1 &+= c
        // h - p = h + 5 - 2^130: taken when it does not go negative.
        var g0 = h0 &+ 5; c = g0 >> 44; g0 &= mask44
        var g1 = h1 &+ c; c = g1 >> 44; g1 &= mask44
        let g2 = h2 &+ c &- (1 << 42)
        let useG = (g2 >> 63) &- 1   // all ones when h >= p
        h0 = (h0 & ~useG) | (g0 & useG)
        h1 = (h1 & ~useG) | (g1 & useG)
        h2 = (h2 & ~useG) | (g2 & mask42 & useG)
        // (h + s) mod 2^128, then the limbs back into two words.
        let low = h0 | (h1 << 44), high = (h1 >> 20) | (h2 << 24)
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

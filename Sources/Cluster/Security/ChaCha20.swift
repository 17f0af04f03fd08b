#if _endian(big)
#error("ChaCha20 loads keystream words as little-endian memory")
#endif

/// The ChaCha20 stream cipher (RFC 8439 §2.3-2.4): 256-bit key, 96-bit nonce,
/// 32-bit block counter.
///
/// The keystream is made 8 blocks (512 bytes) at a time: each of the state's 16
/// words is one `SIMD8<UInt32>` whose lanes are 8 consecutive block counters, so
/// the 20 rounds run on whole vectors and the state fills the 16 AVX2 registers
/// (16 lanes needed twice that and spilled: 1.5x slower); a transpose (three
/// perfect unshuffles) then turns the word-major vectors into 8 contiguous blocks.
///
///     let cipher = ChaCha20(key: key, nonce: nonce)     // 32 and 12 bytes
///     cipher.xor(from: src, to: dst, count: n, counter: 1)
public struct ChaCha20: Sendable {
    /// Key length in bytes.
    public static let keyCount = 32
    /// Nonce length in bytes.
    public static let nonceCount = 12
    /// Bytes per keystream block.
    public static let blockCount = 64

    private let key: SIMD8<UInt32>
    private let nonce: SIMD4<UInt32>   // three words used

    /// A cipher for `key` (32 bytes) and `nonce` (12 bytes). Other sizes are a programming error.
    public init(key: [UInt8], nonce: [UInt8]) {
        precondition(key.count == Self.keyCount && nonce.count == Self.nonceCount, "ChaCha20 needs a 32-byte key and a 12-byte nonce")
        var k = SIMD8<UInt32>()
        for i in 0..<8 { k[i] = Self.word(key, 4 * i) }
        var n = SIMD4<UInt32>()
        for i in 0..<3 { n[i] = Self.word(nonce, 4 * i) }
        self.key = k
        self.nonce = n
    }

    /// A cipher from the key's eight little-endian words and the nonce's three (the fourth lane is unused).
    init(keyWords: SIMD8<UInt32>, nonceWords: SIMD4<UInt32>) {
        key = keyWords
        nonce = nonceWords
    }

    /// The eight little-endian words of a 32-byte key.
    static func keyWords(_ key: [UInt8]) -> SIMD8<UInt32> {
        precondition(key.count == keyCount, "ChaCha20 needs a 32-byte key")
        var k = SIMD8<UInt32>()
        for i in 0..<8 { k[i] = word(key, 4 * i) }
        return k
    }

    private static func word(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    /// The 64-byte keystream block `counter` (RFC 8439 §2.3).
    public func block(counter: UInt32) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.blockCount) { buffer, initialized in
            buffer.initialize(repeating: 0)
            xor(from: UnsafeRawPointer(buffer.baseAddress!), to: UnsafeMutableRawPointer(buffer.baseAddress!),
                count: Self.blockCount, counter: counter)
            initialized = Self.blockCount
        }
    }

    /// `dst[i] = src[i] ^ keystream[offset + i]` for `i < count`, the keystream starting at
    /// block `counter`. `src` and `dst` may be the same memory (in-place), not otherwise overlap.
    public func xor(from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, count: Int, counter: UInt32, offset: Int = 0) {
        let run = Self.lanes * Self.blockCount
        var done = 0
        var position = offset
        while done < count {
            let first = counter &+ UInt32(truncatingIfNeeded: position / Self.blockCount)
            let skip = position % Self.blockCount
            let left = count - done
            if skip == 0 && left >= run {
                keystream(first) { rows in
                    for j in 0..<Self.lanes {
                        let at = done + j * Self.blockCount
                        let input = (src + at).loadUnaligned(as: SIMD16<UInt32>.self)
                        (dst + at).storeBytes(of: input ^ rows[j], as: SIMD16<UInt32>.self)
                    }
                }
                done += run
                position += run
                continue
            }
            // A partial run (start or end): its blocks into a scratch buffer, then bytewise.
            let take = min(left, run - skip)
            withUnsafeTemporaryAllocation(of: SIMD16<UInt32>.self, capacity: Self.lanes) { scratch in
                keystream(first) { rows in
                    for j in 0..<Self.lanes { scratch[j] = rows[j] }
                }
                let stream = UnsafeRawPointer(scratch.baseAddress!) + skip
                var i = 0
                while i + 8 <= take {
                    let a = (src + done + i).loadUnaligned(as: UInt64.self)
                    let b = (stream + i).loadUnaligned(as: UInt64.self)
                    (dst + done + i).storeBytes(of: a ^ b, as: UInt64.self)
                    i += 8
                }
                while i < take {
                    (dst + done + i).storeBytes(of: (src + done + i).load(as: UInt8.self) ^ (stream + i).load(as: UInt8.self), as: UInt8.self)
                    i += 1
                }
            }
            done += take
            position += take
        }
    }

    /// Blocks made at once.
    private static let lanes = 8

    @inline(__always)
    private static func rotl(_ x: SIMD8<UInt32>, _ n: UInt32) -> SIMD8<UInt32> {
        (x &<< n) | (x &>> (32 &- n))
    }

    @inline(__always)
    private static func quarterRound(_ a: inout SIMD8<UInt32>, _ b: inout SIMD8<UInt32>,
                                     _ c: inout SIMD8<UInt32>, _ d: inout SIMD8<UInt32>) {
        a &+= b; d ^= a; d = rotl(d, 16)
        c &+= d; b ^= c; b = rotl(b, 12)
        a &+= b; d ^= a; d = rotl(d, 8)
        c &+= d; b ^= c; b = rotl(b, 7)
    }

    /// One perfect unshuffle of 8 vectors of 16 words: with element (vector v, lane l) at index
    /// 16v + l, each element moves to the index rotated right by one bit (see `keystream`).
    @inline(__always)
    private static func unshuffle(_ r: inout (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>,
                                              SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>)) {
        let p0 = SIMD32(lowHalf: r.0, highHalf: r.1), p1 = SIMD32(lowHalf: r.2, highHalf: r.3)
        let p2 = SIMD32(lowHalf: r.4, highHalf: r.5), p3 = SIMD32(lowHalf: r.6, highHalf: r.7)
        r = (p0.evenHalf, p1.evenHalf, p2.evenHalf, p3.evenHalf, p0.oddHalf, p1.oddHalf, p2.oddHalf, p3.oddHalf)
    }

    /// The `lanes` keystream blocks `first ..< first + lanes`, handed to `body` as one vector per block.
    @inline(__always)
    private func keystream(_ first: UInt32, _ body: (UnsafeBufferPointer<SIMD16<UInt32>>) -> Void) {
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        let s0 = SIMD8<UInt32>(repeating: 0x6170_7865), s1 = SIMD8<UInt32>(repeating: 0x3320_646e)
        let s2 = SIMD8<UInt32>(repeating: 0x7962_2d32), s3 = SIMD8<UInt32>(repeating: 0x6b20_6574)
        let s4 = SIMD8<UInt32>(repeating: key[0]), s5 = SIMD8<UInt32>(repeating: key[1])
        let s6 = SIMD8<UInt32>(repeating: key[2]), s7 = SIMD8<UInt32>(repeating: key[3])
        let s8 = SIMD8<UInt32>(repeating: key[4]), s9 = SIMD8<UInt32>(repeating: key[5])
        let s10 = SIMD8<UInt32>(repeating: key[6]), s11 = SIMD8<UInt32>(repeating: key[7])
        let s12 = SIMD8<UInt32>(repeating: first) &+ lanes
        let s13 = SIMD8<UInt32>(repeating: nonce[0]), s14 = SIMD8<UInt32>(repeating: nonce[1])
        let s15 = SIMD8<UInt32>(repeating: nonce[2])
        var x0 = s0, x1 = s1, x2 = s2, x3 = s3, x4 = s4, x5 = s5, x6 = s6, x7 = s7
        var x8 = s8, x9 = s9, x10 = s10, x11 = s11, x12 = s12, x13 = s13, x14 = s14, x15 = s15
        for _ in 0..<10 {
            Self.quarterRound(&x0, &x4, &x8, &x12)
            Self.quarterRound(&x1, &x5, &x9, &x13)
            Self.quarterRound(&x2, &x6, &x10, &x14)
            Self.quarterRound(&x3, &x7, &x11, &x15)
            Self.quarterRound(&x0, &x5, &x10, &x15)
            Self.quarterRound(&x1, &x6, &x11, &x12)
            Self.quarterRound(&x2, &x7, &x8, &x13)
            Self.quarterRound(&x3, &x4, &x9, &x14)
        }
        // Word pairs side by side: element (word w, block b) at index 16(w >> 1) + 8(w & 1) + b.
        var rows = (SIMD16(lowHalf: x0 &+ s0, highHalf: x1 &+ s1), SIMD16(lowHalf: x2 &+ s2, highHalf: x3 &+ s3),
                    SIMD16(lowHalf: x4 &+ s4, highHalf: x5 &+ s5), SIMD16(lowHalf: x6 &+ s6, highHalf: x7 &+ s7),
                    SIMD16(lowHalf: x8 &+ s8, highHalf: x9 &+ s9), SIMD16(lowHalf: x10 &+ s10, highHalf: x11 &+ s11),
                    SIMD16(lowHalf: x12 &+ s12, highHalf: x13 &+ s13), SIMD16(lowHalf: x14 &+ s14, highHalf: x15 &+ s15))
        // Three unshuffles rotate that 7-bit index right by three, to 16b + w: vectors become blocks.
        Self.unshuffle(&rows); Self.unshuffle(&rows); Self.unshuffle(&rows)
        withUnsafeBytes(of: &rows) { raw in
            body(raw.bindMemory(to: SIMD16<UInt32>.self))
        }
    }
}

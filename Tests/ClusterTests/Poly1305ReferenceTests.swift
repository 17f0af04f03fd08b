import Datasets
import Testing
@testable import Cluster

/// Poly1305 against a slow reference in another representation (five 26-bit limbs, every
/// product in a `UInt64`, fully carried after each block): random keys and messages of
/// every length up to 300 bytes, plus all-ones keys and messages that keep the
/// accumulator next to 2^130 - 5, where a missed carry would show.
@Suite struct Poly1305ReferenceTests {
    /// The tag of `message` under `key`, computed limb by limb (RFC 8439 §2.5.1 as written).
    static func referenceTag(key: [UInt8], message: [UInt8]) -> [UInt8] {
        func le32(_ b: [UInt8], _ i: Int) -> UInt64 {
            UInt64(b[i]) | UInt64(b[i + 1]) << 8 | UInt64(b[i + 2]) << 16 | UInt64(b[i + 3]) << 24
        }
        let mask: UInt64 = (1 << 26) - 1
        /// A 17-byte little-endian number (at most 2^130 + 2^128) as five 26-bit limbs.
        func limbs(_ b: [UInt8]) -> [UInt64] {
            let x = b + [0, 0, 0]
            return [le32(x, 0) & mask, (le32(x, 3) >> 2) & mask, (le32(x, 6) >> 4) & mask,
                    (le32(x, 9) >> 6) & mask, le32(x, 13)]
        }
        var rBytes = Array(key[0..<16])
        for i in [3, 7, 11, 15] { rBytes[i] &= 15 }
        for i in [4, 8, 12] { rBytes[i] &= 252 }
        let r = limbs(rBytes + [0])
        var h: [UInt64] = [0, 0, 0, 0, 0]
        /// Carries until every limb is below 2^26 (h < 2^130), folding 2^130 back in as 5.
        func carry(_ h: inout [UInt64]) {
            while h.contains(where: { $0 > mask }) {
                for i in 0..<4 { h[i + 1] += h[i] >> 26; h[i] &= mask }
                h[0] += (h[4] >> 26) * 5; h[4] &= mask
            }
        }
        var at = 0
        while at < message.count {
            let block = Array(message[at..<min(at + 16, message.count)]) + [1]
            let m = limbs(block + [UInt8](repeating: 0, count: 17 - block.count))
            for i in 0..<5 { h[i] += m[i] }
            var d = [UInt64](repeating: 0, count: 5)
            for i in 0..<5 {
                for j in 0..<5 {
                    // Limb i+j at or above 5 is 2^130 times limb i+j-5: 5 times it, below.
                    if i + j < 5 { d[i + j] += h[i] * r[j] } else { d[i + j - 5] += h[i] * r[j] * 5 }
                }
            }
            h = d
            carry(&h)
            at += 16
        }
        // Fully reduce: h - p when h >= p.
        var g = h
        g[0] += 5
        for i in 0..<4 { g[i + 1] += g[i] >> 26; g[i] &= mask }
        if g[4] >= 1 << 26 { g[4] -= 1 << 26; h = g }
        var low = h[0] | h[1] << 26 | h[2] << 52           // bits 0..<64 (h[2]'s top bits spill off)
        var high = h[2] >> 12 | h[3] << 14 | h[4] << 40     // bits 64..<128
        let s0 = (0..<8).reduce(UInt64(0)) { $0 | UInt64(key[16 + $1]) << (8 * $1) }
        let s1 = (0..<8).reduce(UInt64(0)) { $0 | UInt64(key[24 + $1]) << (8 * $1) }
        let (sum, overflow) = low.addingReportingOverflow(s0)
        low = sum
        high = high &+ s1 &+ (overflow ? 1 : 0)
        return (0..<8).map { UInt8(truncatingIfNeeded: low >> (8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: high >> (8 * $0)) }
    }

    @Test func referenceMatchesRFC8439Section252() {
        let key = hexBytes("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
        #expect(Self.referenceTag(key: key, message: Array("Cryptographic Forum Research Group".utf8)).hexString
                == "a8061dc1305136c6c22b8baf0c0127a9")
    }

    @Test func tagsEqualTheLimbReferenceForRandomAndExtremeInputs() {
        var rng = SplitMix64(seed: 1305)
        for length in 0...300 {
            let extreme = length % 3 == 0
            let key = (0..<32).map { _ in extreme ? 0xff : UInt8.random(in: 0...255, using: &rng) }
            let message = (0..<length).map { _ in extreme ? 0xff : UInt8.random(in: 0...255, using: &rng) }
            #expect(Poly1305.mac(key: key, message: message) == Self.referenceTag(key: key, message: message), "\(length) bytes")
        }
    }
}

import Datasets
import Testing
@testable import Cluster

@Suite struct CRC32LaneTests {
    /// Bit-at-a-time reference, continuing from a previous checksum.
    func bitwise(_ bytes: [UInt8], after previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1 }
        }
        return ~crc
    }

    func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    @Test(arguments: [4095, 4096, 4097, 4103, 8191, 65_536 + 5, 1_048_576 + 20])
    func fourLanesEqualTheBitwiseReference(length: Int) {
        let bytes = randomBytes(length, seed: UInt64(length))
        #expect(CRC32.checksum(bytes) == bitwise(bytes))
    }

    @Test func lanesContinueARunningValue() {
        let bytes = randomBytes(70_001, seed: 9)
        for cut in [1, 13, 4096, 30_000, 65_905] {
            var c = CRC32()
            c.update(Array(bytes[..<cut]))
            c.update(Array(bytes[cut...]))
            #expect(c.value == bitwise(bytes), "cut at \(cut)")
        }
    }

    @Test func combineJoinsTheChecksumsOfTwoPieces() {
        let a = randomBytes(1000, seed: 1), b = randomBytes(777, seed: 2)
        #expect(CRC32.combine(bitwise(a), bitwise(b), length: b.count) == bitwise(a + b))
        #expect(CRC32.combine(bitwise(a), bitwise([]), length: 0) == bitwise(a))
        #expect(CRC32.combine(0, bitwise(b), length: b.count) == bitwise(b))
    }
}

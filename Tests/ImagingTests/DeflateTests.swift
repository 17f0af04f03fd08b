import Testing
@testable import Imaging

@Suite struct DeflateTests {
    static func inflate(_ z: [UInt8], limit: Int = 1 << 24) throws(ZlibError) -> [UInt8] {
        try z.withUnsafeBufferPointer { buf throws(ZlibError) in try Zlib.decompress(buf, outputLimit: limit, sizeHint: 0).bytes }
    }

    /// A stream produced by Python's zlib (level 1: fixed Huffman codes with back-references).
    @Test func inflatesAStreamWrittenByZlib() throws {
        let z: [UInt8] = [0x78, 0x01, 0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x57, 0xC8, 0x40, 0x27, 0x15, 0x01, 0x70, 0xD5, 0x08, 0xD2]
        #expect(try Self.inflate(z) == Array("hello hello hello hello!".utf8))
    }

    @Test(arguments: [0, 1, 3, 6, 9])
    func roundTripsAtEveryLevel(_ level: Int) throws {
        var rng = TestRandom(seed: UInt64(level) + 1)
        // Mixed content: random bytes, long runs, repeated phrases at various distances.
        var data: [UInt8] = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data += [UInt8](repeating: 7, count: 70_000)
        for i in 0..<20_000 { data.append(UInt8(truncatingIfNeeded: (i * 7) % 251)) }
        data += Array("the quick brown fox jumps over the lazy dog ".utf8).flatMap { [$0, $0] }
        data += data[1000..<40_000]
        let z = Zlib.compress(data, level: level)
        #expect(try Self.inflate(z) == data)
        if level > 0 { #expect(z.count < data.count / 3) }
    }

    @Test func emptyInputRoundTrips() throws {
        for level in [0, 6] { #expect(try Self.inflate(Zlib.compress([], level: level)) == []) }
    }

    @Test func higherLevelsCompressRepetitiveDataBetter() {
        var data: [UInt8] = []
        var rng = TestRandom(seed: 9)
        let words = (0..<64).map { _ in (0..<Int.random(in: 3...9, using: &rng)).map { _ in UInt8.random(in: 97...122, using: &rng) } }
        for _ in 0..<20_000 { data += words[Int.random(in: 0..<64, using: &rng)] + [32] }
        let sizes = [0, 1, 6, 9].map { Zlib.compress(data, level: $0).count }
        #expect(sizes[0] > data.count)  // stored blocks add headers
        #expect(sizes[1] < data.count / 2)
        #expect(sizes[2] <= sizes[1])
        #expect(sizes[3] <= sizes[2])
    }

    @Test func corruptStreamsThrowWithAnOffset() throws {
        let good = Zlib.compress(Array("some text some text some text".utf8), level: 6)
        // Header check bits.
        #expect(throws: ZlibError.self) { try Self.inflate([0x78, 0x00] + good.dropFirst(2)) }
        // Truncated body.
        do {
            _ = try Self.inflate(Array(good.prefix(good.count - 6)))
            Issue.record("a truncated stream decoded")
        } catch {
            #expect(error.kind == .truncated)
        }
        // Wrong Adler-32.
        var badSum = good
        badSum[badSum.count - 1] ^= 0x55
        do {
            _ = try Self.inflate(badSum)
            Issue.record("a wrong checksum passed")
        } catch {
            guard case .checksum = error.kind else { Issue.record("expected a checksum error, got \(error)"); return }
            #expect(error.offset == good.count - 4)
        }
        // Block type 3 is reserved.
        do {
            _ = try Self.inflate([0x78, 0x9C, 0x07])
            Issue.record("block type 3 decoded")
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.reason.contains("block type"))
        }
        // A distance reaching before the start: fixed block, literal 'a', then length 3 at distance 2.
        var w = LSBBitWriter()
        w.write(1, 1); w.write(1, 2)
        let fixed = HuffmanCodeLengths.canonicalCodes(lengths: DeflateTables.fixedLiteralLengths)
        w.writeCode(fixed[97], 8)
        w.writeCode(fixed[257], 7)
        w.writeCode(1, 5)  // distance symbol 1 = distance 2
        w.writeCode(fixed[256], 7)
        do {
            _ = try Self.inflate([0x78, 0x9C] + w.finish())
            Issue.record("a distance past the start decoded")
        } catch {
            #expect(error.reason.contains("distance"))
        }
    }

    @Test func outputLimitStopsEarlyWithoutError() throws {
        let data = [UInt8](repeating: 1, count: 100_000)
        let z = Zlib.compress(data, level: 6)
        let partial = try z.withUnsafeBufferPointer { try Zlib.decompress($0, outputLimit: 1000, sizeHint: 0) }
        #expect(partial.bytes == [UInt8](repeating: 1, count: 1000))
        #expect(!partial.complete)
    }

    @Test func lengthLimitedCodesAreCompleteAndWithinTheLimit() {
        // Fibonacci frequencies force a deep tree.
        var freq = [1, 1]
        while freq.count < 30 { freq.append(freq[freq.count - 1] + freq[freq.count - 2]) }
        for limit in [7, 15] {
            let lengths = HuffmanCodeLengths.compute(frequencies: freq, maxLength: limit)
            #expect(lengths.allSatisfy { $0 >= 1 && Int($0) <= limit })
            let kraft = lengths.reduce(0.0) { $0 + 1 / Double(1 << Int($1)) }
            #expect(kraft == 1)
        }
    }
}

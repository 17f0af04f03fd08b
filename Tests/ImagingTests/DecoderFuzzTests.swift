import Testing
@testable import Imaging

/// Every conformance JPEG and PNG, truncated at 50 points and with random bytes flipped
/// (fixed seed): each variant must decode or throw an `ImageError` — never crash, hang
/// or read out of bounds (the latter would trap in Swift).
@Suite struct DecoderFuzzTests {
    static let files = SharedData.entries.map(\.file)
    static let truncationPoints = 50
    static let flipVariants = 30

    @Test(arguments: files)
    func truncatedAndBitFlippedInputsDecodeOrThrow(_ file: String) throws {
        let dir = try #require(SharedData.conformance)
        let original = try #require(SharedData.bytes(dir + "/" + file))
        var cases = 0
        // Truncation: 50 evenly spread lengths. Anything cut well before the end must be rejected.
        for i in 0..<Self.truncationPoints {
            let length = original.count * i / Self.truncationPoints
            let cut = Array(original.prefix(length))
            do {
                _ = try ImageCodec.decode(cut, maxPixels: 1 << 22, applyOrientation: true)
                #expect(length > original.count * 9 / 10, "\(file) cut to \(length) bytes decoded")
            } catch {
                #expect(error.offset.map { $0 <= cut.count } ?? true, "\(error) points past the data")
            }
            cases += 1
        }
        // Flips: 1 to 8 random bytes replaced, in 30 variants per file.
        var rng = TestRandom(seed: UInt64(original.count))
        for _ in 0..<Self.flipVariants {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            // For PNGs, every other variant gets its CRCs recomputed so the corruption reaches inflate and unfiltering.
            if file.hasSuffix(".png") && cases % 2 == 0 { Self.fixCRCs(&bytes) }
            do {
                let image = try ImageCodec.decode(bytes, maxPixels: 1 << 22, applyOrientation: true)
                #expect(image.isConsistent)
            } catch {
                #expect(error.offset.map { $0 <= bytes.count } ?? true, "\(error) points past the data")
                #expect(!error.description.isEmpty)
            }
            cases += 1
        }
        #expect(cases == Self.truncationPoints + Self.flipVariants)
    }

    /// Rewrites every chunk's CRC-32 to match its (possibly corrupted) contents, as far as the lengths allow.
    static func fixCRCs(_ bytes: inout [UInt8]) {
        var p = 8
        while p + 12 <= bytes.count {
            let length = Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            guard length >= 0, p + 12 + length <= bytes.count else { return }
            let crc = CRC32.checksum(bytes[(p + 4)..<(p + 8 + length)])
            for i in 0..<4 { bytes[p + 8 + length + i] = UInt8((crc >> UInt32(24 - 8 * i)) & 0xFF) }
            p += 12 + length
        }
    }

    @Test(.enabled(if: SharedData.conformance != nil, Comment(rawValue: SharedData.missingMessage)))
    func coversAtLeastTwoThousandCases() {
        #expect(Self.files.count * (Self.truncationPoints + Self.flipVariants) >= 2000)
    }
}

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

    @Test(.enabled(if: SharedData.conformance != nil, Comment(rawValue: SharedData.missingMessage)))
    func coversAtLeastTwoThousandCases() {
        #expect(Self.files.count * (Self.truncationPoints + Self.flipVariants) >= 2000)
    }
}

import Testing
@testable import Imaging

@Suite struct JPEGConformanceTests {
    static let jpegs = SharedData.entries.filter { $0.file.hasSuffix(".jpg") }

    /// libjpeg-turbo's defaults (islow IDCT, fancy upsampling) reproduce Pillow's pixels. The brief allows
    /// max |diff| <= 4 and mean <= 0.25; the decoder is bit-exact, so any difference is a regression.
    @Test(arguments: jpegs)
    func decodesAsPillowWithinTolerance(_ entry: SharedData.Entry) throws {
        let dir = try #require(SharedData.conformance)
        let bytes = try #require(SharedData.bytes(dir + "/" + entry.file))
        let expected = try #require(SharedData.bytes(dir + "/" + entry.pixels))
        let image = try ImageCodec.decode(bytes)
        #expect(image.width == entry.width)
        #expect(image.height == entry.height)
        #expect(image.channels == entry.channels)
        try #require(image.pixels.count == expected.count)
        let diff = sampleDifference(image.pixels, expected)
        #expect(diff.max == 0, "max |diff| \(diff.max), mean \(diff.mean)")
    }
}

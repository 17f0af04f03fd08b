import Testing
@testable import Imaging

@Suite struct PNGConformanceTests {
    static let pngs = SharedData.entries.filter { $0.file.hasSuffix(".png") }

    @Test(arguments: pngs)
    func decodesExactlyAsPillow(_ entry: SharedData.Entry) throws {
        let dir = try #require(SharedData.conformance)
        let bytes = try #require(SharedData.bytes(dir + "/" + entry.file))
        let expected = try #require(SharedData.bytes(dir + "/" + entry.pixels))
        let image = try ImageCodec.decode(bytes)
        #expect(image.width == entry.width)
        #expect(image.height == entry.height)
        #expect(image.channels == entry.channels)
        #expect(image.bitDepth == entry.bit_depth)
        #expect(image.pixels == expected)
    }
}

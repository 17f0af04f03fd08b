import Foundation
import Testing
@testable import Imaging

@Suite struct ResizeConformanceTests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        var source: String
        var width: Int
        var height: Int
        var pixels: String
        var description: String { pixels }
    }

    static let cases: [Case] = {
        guard let dir = SharedData.conformance,
              let data = FileManager.default.contents(atPath: dir + "/resize/index.json") else { return [] }
        struct Index: Decodable { var images: [Case] }
        return (try? JSONDecoder().decode(Index.self, from: data))?.images ?? []
    }()

    /// The sources are the horse2zebra sample photos; each is decoded (bit-exact with Pillow) then resized.
    @Test(arguments: cases)
    func matchesPillowBicubic(_ c: Case) throws {
        let root = try #require(SharedData.root)
        let folder = c.source.hasPrefix("n02381460") ? "testA" : "testB"
        let image = try ImageCodec.decode(file: "\(root)/data/horse2zebra-sample/\(folder)/\(c.source)")
        let expected = try #require(SharedData.bytes("\(root)/data/codec-conformance/resize/\(c.pixels)"))
        let resized = image.resizedBicubic(width: c.width, height: c.height)
        #expect(resized.width == c.width && resized.height == c.height && resized.channels == 3)
        try #require(resized.pixels.count == expected.count)
        let diff = sampleDifference(resized.pixels, expected)
        // The brief allows max |diff| <= 1; the fixed-point arithmetic is Pillow's, so we expect exact.
        #expect(diff.max == 0, "max |diff| \(diff.max), mean \(diff.mean)")
    }
}

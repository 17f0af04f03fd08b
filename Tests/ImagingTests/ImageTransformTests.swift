import Testing
@testable import Imaging

@Suite struct ImageTransformTests {
    static func numbered(width: Int, height: Int, channels: Int = 3) -> Image {
        Image(width: width, height: height, channels: channels,
              pixels: (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 5) })
    }

    @Test func cropIsClippedToTheImage() {
        let image = Self.numbered(width: 10, height: 6)
        let crop = image.cropped(x: 2, y: 1, width: 3, height: 2)
        #expect(crop.width == 3 && crop.height == 2)
        #expect(Array(crop.pixels[0..<3]) == Array(image.pixels[((1 * 10 + 2) * 3)..<((1 * 10 + 2) * 3 + 3)]))
        let clipped = image.cropped(x: 8, y: 4, width: 10, height: 10)
        #expect(clipped.width == 2 && clipped.height == 2)
        let outside = image.cropped(x: 20, y: 0, width: 5, height: 5)
        #expect(outside.width == 0 && outside.pixels.isEmpty)
    }

    @Test func flipsAndRotationsComposeAsExpected() {
        let image = Self.numbered(width: 7, height: 4)
        #expect(image.flippedHorizontally().flippedHorizontally() == image)
        #expect(image.flippedVertically().flippedVertically() == image)
        var rotated = image
        for _ in 0..<4 { rotated = rotated.rotatedClockwise(quarterTurns: 1) }
        #expect(rotated == image)
        #expect(image.rotatedClockwise(quarterTurns: 2) == image.flippedHorizontally().flippedVertically())
        #expect(image.transposed().transposed() == image)
        // A quarter turn clockwise: the first column, read bottom-up, becomes the first row.
        let turned = image.rotatedClockwise(quarterTurns: 1)
        #expect(turned.width == 4 && turned.height == 7)
        for x in 0..<4 {
            let src = ((3 - x) * 7 + 0) * 3
            #expect(Array(turned.pixels[(x * 3)..<(x * 3 + 3)]) == Array(image.pixels[src..<(src + 3)]))
        }
    }

    @Test func rgb8ReplicatesGrayDropsAlphaAndKeepsHighBytes() {
        let gray = Image(width: 2, height: 1, channels: 1, pixels: [10, 200])
        #expect(gray.rgb8().pixels == [10, 10, 10, 200, 200, 200])
        let grayAlpha = Image(width: 1, height: 1, channels: 2, pixels: [77, 0])
        #expect(grayAlpha.rgb8().pixels == [77, 77, 77])
        let rgba = Image(width: 1, height: 1, channels: 4, pixels: [1, 2, 3, 4])
        #expect(rgba.rgb8().pixels == [1, 2, 3])
        let deep = Image(width: 1, height: 1, channels: 3, bitDepth: 16, pixels: [0x12, 0x34, 0xAB, 0xCD, 0xFF, 0x00])
        #expect(deep.rgb8().pixels == [0x12, 0xAB, 0xFF])
        #expect(deep.rgb8().bitDepth == 8)
    }

    @Test func resizeKeepsFlatImagesFlatAndHandlesAlphaAnd16Bit() {
        let flat = Image(width: 13, height: 9, channels: 3, pixels: [UInt8](repeating: 99, count: 13 * 9 * 3))
        for (w, h) in [(5, 4), (26, 18), (13, 30), (1, 1)] {
            let r = flat.resizedBicubic(width: w, height: h)
            #expect(r.width == w && r.height == h && r.pixels.allSatisfy { $0 == 99 })
        }
        #expect(flat.resizedBicubic(width: 13, height: 9) == flat)
        // Premultiplied like Pillow: a transparent pixel's color does not bleed into opaque neighbours.
        var pixels: [UInt8] = []
        for x in 0..<8 { pixels += x < 4 ? [255, 0, 0, 0] : [0, 0, 255, 255] }
        let rgba = Image(width: 8, height: 1, channels: 4, pixels: pixels).resizedBicubic(width: 4, height: 1)
        for x in 0..<4 where rgba.pixels[x * 4 + 3] > 0 {
            #expect(rgba.pixels[x * 4] == 0, "red leaked into pixel \(x): \(Array(rgba.pixels[(x * 4)..<(x * 4 + 4)]))")
        }
        let deep = Image(width: 6, height: 6, channels: 1, bitDepth: 16,
                         pixels: [UInt8](repeating: 0, count: 72).enumerated().map { $0.offset % 2 == 0 ? 0x80 : 0x01 })
        let deepResized = deep.resizedBicubic(width: 3, height: 3)
        #expect(deepResized.bitDepth == 16 && deepResized.pixels.count == 18)
        #expect(deepResized.pixels.enumerated().allSatisfy { $0.offset % 2 == 0 ? $0.element == 0x80 : $0.element == 0x01 })
    }

    @Test func errorsDescribeTheProblemAndOffset() {
        let e = ImageError.malformed(.jpeg, offset: 1234, reason: "marker 0xC4 has length 1")
        #expect(e.description == "corrupt JPEG at byte 1234: marker 0xC4 has length 1")
        let wrapped = ImageError.inFile(path: "a/b.jpg", e)
        #expect(wrapped.description.hasPrefix("a/b.jpg: corrupt JPEG"))
        #expect(wrapped.offset == 1234 && wrapped.underlying == e)
        #expect(ImageError.unknownFormat(firstBytes: [0x47, 0x49, 0x46]).description.contains("47 49 46"))
    }
}

import Testing
@testable import Imaging

/// Builds PNG files sample by sample, independently of the decoder (for color types and
/// interlacing the conformance set lacks).
enum PNGBuilder {
    /// Adam7 pass (1...7) of each pixel in the repeating 8x8 pattern of the PNG specification.
    static let adam7Pattern: [[Int]] = [
        [1, 6, 4, 6, 2, 6, 4, 6], [7, 7, 7, 7, 7, 7, 7, 7], [5, 6, 5, 6, 5, 6, 5, 6], [7, 7, 7, 7, 7, 7, 7, 7],
        [3, 6, 4, 6, 3, 6, 4, 6], [7, 7, 7, 7, 7, 7, 7, 7], [5, 6, 5, 6, 5, 6, 5, 6], [7, 7, 7, 7, 7, 7, 7, 7],
    ]

    /// `samples[y][x]` holds the stored samples of pixel (x, y) (palette index, gray, RGB, ...).
    static func build(width: Int, height: Int, colorType: UInt8, depth: Int, samples: [[[Int]]],
                      interlaced: Bool = false, palette: [UInt8]? = nil, trns: [UInt8]? = nil) -> [UInt8]
    {
        func packRow(_ pixels: [[Int]]) -> [UInt8] {
            var bits: [Int] = []
            for p in pixels { for s in p { for b in stride(from: depth - 1, through: 0, by: -1) { bits.append((s >> b) & 1) } } }
            while bits.count % 8 != 0 { bits.append(0) }
            return stride(from: 0, to: bits.count, by: 8).map { i in UInt8((0..<8).reduce(0) { $0 << 1 | bits[i + $1] }) }
        }
        var raw: [UInt8] = []
        if interlaced {
            for pass in 1...7 {
                var rows: [[[Int]]] = []
                for y in 0..<height {
                    let row = (0..<width).filter { adam7Pattern[y % 8][$0 % 8] == pass }.map { samples[y][$0] }
                    if !row.isEmpty { rows.append(row) }
                }
                for row in rows { raw += [0] + packRow(row) }
            }
        } else {
            for y in 0..<height { raw += [0] + packRow(samples[y]) }
        }
        var out = PNGSignature.bytes
        PNGEncoder.appendChunk("IHDR", PNGEncoder.bigEndian32(UInt32(width)) + PNGEncoder.bigEndian32(UInt32(height))
            + [UInt8(depth), colorType, 0, 0, interlaced ? 1 : 0], to: &out)
        if let palette { PNGEncoder.appendChunk("PLTE", palette, to: &out) }
        if let trns { PNGEncoder.appendChunk("tRNS", trns, to: &out) }
        PNGEncoder.appendChunk("IDAT", Zlib.compress(raw, level: 6), to: &out)
        PNGEncoder.appendChunk("IEND", [], to: &out)
        return out
    }
}

@Suite struct PNGCodecTests {
    static func testImage(channels: Int, width: Int = 37, height: Int = 23, depth: Int = 8) -> Image {
        var rng = TestRandom(seed: UInt64(channels * 100 + depth))
        let count = width * height * channels * depth / 8
        // Smooth gradients plus noise, so every filter type gets chosen somewhere.
        let pixels = (0..<count).map { i -> UInt8 in
            i % 3 == 0 ? UInt8.random(in: 0...255, using: &rng) : UInt8(truncatingIfNeeded: i / 7)
        }
        return Image(width: width, height: height, channels: channels, bitDepth: depth, pixels: pixels)
    }

    @Test(arguments: [1, 2, 3, 4])
    func encoderRoundTrips8Bit(_ channels: Int) throws {
        let image = Self.testImage(channels: channels)
        for level in [0, 1, 6, 9] {
            #expect(try ImageCodec.decode(PNGEncoder.encode(image, level: level)) == image)
        }
    }

    @Test(arguments: [1, 3])
    func encoderRoundTrips16Bit(_ channels: Int) throws {
        let image = Self.testImage(channels: channels, depth: 16)
        #expect(try ImageCodec.decode(PNGEncoder.encode(image)) == image)
    }

    @Test(.enabled(if: SharedData.conformance != nil, Comment(rawValue: SharedData.missingMessage)))
    func compressesAPhotoWellBelowItsRawSize() throws {
        let dir = try #require(SharedData.conformance)
        let photo = try ImageCodec.decode(file: dir + "/n02381460_510_original.jpg")
        let stored = PNGEncoder.encode(photo, level: 0).count
        let compressed = PNGEncoder.encode(photo, level: 9).count
        #expect(stored > photo.pixels.count)
        #expect(Double(compressed) < 0.75 * Double(photo.pixels.count))
    }

    @Test(arguments: [1, 2, 4, 8, 16])
    func decodesGrayAtEveryDepthScaledTo8Bits(_ depth: Int) throws {
        let w = 13, h = 5, maxValue = (1 << depth) - 1
        let samples = (0..<h).map { y in (0..<w).map { x in [(x * 7 + y * 3) % (maxValue + 1)] } }
        let png = PNGBuilder.build(width: w, height: h, colorType: 0, depth: depth, samples: samples)
        let image = try ImageCodec.decode(png)
        #expect(image.channels == 1 && image.bitDepth == (depth == 16 ? 16 : 8))
        for y in 0..<h {
            for x in 0..<w {
                let v = samples[y][x][0]
                if depth == 16 {
                    let o = 2 * (y * w + x)
                    #expect(Int(image.pixels[o]) << 8 | Int(image.pixels[o + 1]) == v)
                } else {
                    #expect(Int(image.pixels[y * w + x]) == v * 255 / maxValue)
                }
            }
        }
    }

    @Test(arguments: [1, 2, 4, 8])
    func decodesPalettesWithTransparency(_ depth: Int) throws {
        let entries = 1 << depth
        var palette: [UInt8] = []
        for i in 0..<entries {
            palette.append(UInt8(i * 3 % 256))
            palette.append(UInt8(i * 5 % 256))
            palette.append(UInt8(i * 11 % 256))
        }
        let alphas: [UInt8] = [0, 128]  // the first two entries; the rest opaque
        let w = 9, h = 4
        let samples: [[[Int]]] = (0..<h).map { y in (0..<w).map { x in [(x + y * w) % entries] } }
        let plain = try ImageCodec.decode(PNGBuilder.build(width: w, height: h, colorType: 3, depth: depth,
                                                           samples: samples, palette: palette))
        let withAlpha = try ImageCodec.decode(PNGBuilder.build(width: w, height: h, colorType: 3, depth: depth,
                                                               samples: samples, palette: palette, trns: alphas))
        #expect(plain.channels == 3 && withAlpha.channels == 4)
        for i in 0..<(w * h) {
            let index = samples[i / w][i % w][0]
            #expect(Array(plain.pixels[(3 * i)..<(3 * i + 3)]) == Array(palette[(3 * index)..<(3 * index + 3)]))
            #expect(withAlpha.pixels[4 * i + 3] == (index < 2 ? alphas[index] : 255))
        }
    }

    @Test func grayAndRGBTransparencyKeysBecomeAlpha() throws {
        let gray = try ImageCodec.decode(PNGBuilder.build(width: 3, height: 1, colorType: 0, depth: 8,
                                                          samples: [[[10], [20], [30]]], trns: [0, 20]))
        #expect(gray.channels == 2 && gray.pixels == [10, 255, 20, 0, 30, 255])
        let rgb = try ImageCodec.decode(PNGBuilder.build(width: 2, height: 1, colorType: 2, depth: 8,
                                                         samples: [[[1, 2, 3], [4, 5, 6]]], trns: [0, 4, 0, 5, 0, 6]))
        #expect(rgb.channels == 4 && rgb.pixels == [1, 2, 3, 255, 4, 5, 6, 0])
    }

    @Test(arguments: [(1, 1), (3, 2), (8, 8), (9, 11), (33, 17)])
    func decodesAdam7InterlacedImages(_ size: (Int, Int)) throws {
        let (w, h) = size
        let samples: [[[Int]]] = (0..<h).map { y in
            (0..<w).map { x -> [Int] in
                let r = (x * 13 + y * 7) % 256, g = (x * y) % 256, b = (x + 2 * y) % 256
                return [r, g, b]
            }
        }
        let interlaced = try ImageCodec.decode(PNGBuilder.build(width: w, height: h, colorType: 2, depth: 8,
                                                                samples: samples, interlaced: true))
        let plain = try ImageCodec.decode(PNGBuilder.build(width: w, height: h, colorType: 2, depth: 8, samples: samples))
        #expect(interlaced == plain)
        let expected: [UInt8] = samples.flatMap { row in row.flatMap { pixel in pixel.map { UInt8($0) } } }
        #expect(plain.pixels == expected)
    }

    @Test func interlacedSubByteGrayMatchesNonInterlaced() throws {
        let w = 19, h = 10
        let samples = (0..<h).map { y in (0..<w).map { x in [(x ^ y) & 3] } }
        let a = try ImageCodec.decode(PNGBuilder.build(width: w, height: h, colorType: 0, depth: 2, samples: samples, interlaced: true))
        let b = try ImageCodec.decode(PNGBuilder.build(width: w, height: h, colorType: 0, depth: 2, samples: samples))
        #expect(a == b)
    }

    @Test func corruptChunkCRCIsReportedAtItsOffset() throws {
        var png = PNGEncoder.encode(Self.testImage(channels: 3))
        // Flip a byte inside the IDAT payload: the IDAT CRC no longer matches.
        png[50] ^= 0x01
        do {
            _ = try ImageCodec.decode(png)
            Issue.record("corrupt PNG decoded")
        } catch {
            guard case .checksumMismatch(.png, let offset, let what, _, _) = error else {
                Issue.record("unexpected error \(error)"); return
            }
            #expect(what.contains("IDAT"))
            #expect(offset > 50 && offset < png.count)
            #expect(error.description.contains("byte \(offset)"))
        }
    }

    @Test func truncatedFilesThrowTruncated() throws {
        let png = PNGEncoder.encode(Self.testImage(channels: 3))
        for cut in [8, 20, 40, png.count / 2, png.count - 13] {
            #expect(throws: ImageError.self) { try ImageCodec.decode(Array(png.prefix(cut))) }
        }
        do {
            _ = try ImageCodec.decode(Array(png.prefix(png.count / 2)))
        } catch {
            guard case .truncated(.png, _, _) = error else { Issue.record("expected truncated, got \(error)"); return }
        }
    }

    @Test func headerDeclaringTooManyPixelsIsRefused() throws {
        let png = PNGBuilder.build(width: 1, height: 1, colorType: 0, depth: 8, samples: [[[0]]])
        #expect(throws: ImageError.self) { try ImageCodec.decode(png, maxPixels: 0, applyOrientation: true) }
    }
}

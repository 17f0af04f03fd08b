import Foundation
import Testing
@testable import Imaging

@Suite(.enabled(if: SharedData.conformance != nil, Comment(rawValue: SharedData.missingMessage)))
struct JPEGCodecTests {
    static func photo() throws -> Image {
        let dir = try #require(SharedData.conformance)
        return try ImageCodec.decode(file: dir + "/n02381460_510_q95_444.jpg")
    }

    static func psnr(_ a: Image, _ b: Image) -> Double {
        var se = 0.0
        for i in 0..<a.pixels.count {
            let d = Double(a.pixels[i]) - Double(b.pixels[i])
            se += d * d
        }
        let mse = se / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    @Test func encoderQualityTradesSizeForFidelity() throws {
        let image = try Self.photo()
        var lastSize = 0, lastPSNR = 0.0
        for quality in [20, 50, 75, 90, 98] {
            let bytes = JPEGEncoder.encode(image, quality: quality)
            let decoded = try ImageCodec.decode(bytes)
            #expect(decoded.width == image.width && decoded.height == image.height && decoded.channels == 3)
            let p = Self.psnr(image, decoded)
            #expect(bytes.count > lastSize)
            #expect(p > lastPSNR)
            lastSize = bytes.count
            lastPSNR = p
        }
        #expect(lastPSNR > 35)
    }

    @Test func encodesGrayOddSizesAnd444() throws {
        let image = try Self.photo().cropped(x: 3, y: 5, width: 37, height: 21)
        let full = try ImageCodec.decode(JPEGEncoder.encode(image, quality: 95, subsampling: .none))
        #expect(Self.psnr(image, full) > 33)
        let info = try ImageCodec.info(JPEGEncoder.encode(image, quality: 95, subsampling: .none))
        #expect(info.jpeg?.subsampling == "4:4:4")
        let gray = Image(width: 37, height: 21, channels: 1, pixels: (0..<(37 * 21)).map { UInt8($0 % 251) })
        let decodedGray = try ImageCodec.decode(JPEGEncoder.encode(gray, quality: 90))
        #expect(decodedGray.channels == 1)
        #expect(Self.psnr(gray, decodedGray) > 25)
    }

    /// Sampling layouts the conformance set lacks (4:4:0 uses the h1v2 fancy upsampler, 4:1:1 and 1x4
    /// the box replication, 3x1 a ratio libjpeg handles by replication), at sizes that are not MCU multiples.
    @Test(arguments: [(2, 1), (1, 2), (4, 1), (1, 4), (3, 1), (2, 2), (4, 2)])
    func decodesAnyIntegerSamplingLayout(_ factors: (Int, Int)) throws {
        let image = try Self.photo().cropped(x: 7, y: 3, width: 77, height: 45)
        let bytes = JPEGEncoder.encode(image, quality: 95, subsampling: .luma(h: factors.0, v: factors.1))
        let info = try ImageCodec.info(bytes)
        #expect(info.jpeg?.samplingFactors.first?.h == factors.0 && info.jpeg?.samplingFactors.first?.v == factors.1)
        let decoded = try ImageCodec.decode(bytes)
        #expect(decoded.width == 77 && decoded.height == 45)
        #expect(Self.psnr(image, decoded) > 27, "PSNR \(Self.psnr(image, decoded))")
    }

    @Test func infoReportsSamplingAndProgressive() throws {
        let dir = try #require(SharedData.conformance)
        let cases: [(String, String, Bool)] = [
            ("n02381460_510_q75_420.jpg", "4:2:0", false), ("n02381460_510_q90_422.jpg", "4:2:2", false),
            ("n02381460_510_q95_444.jpg", "4:4:4", false), ("n02381460_510_progressive.jpg", "4:2:0", true),
        ]
        for (file, sampling, progressive) in cases {
            let info = try ImageCodec.info(try ImageCodec.readFile(dir + "/" + file))
            #expect(info.format == .jpeg && info.width == 256 && info.height == 256)
            #expect(info.jpeg?.subsampling == sampling)
            #expect(info.jpeg?.progressive == progressive)
        }
        let restart = try ImageCodec.info(try ImageCodec.readFile(dir + "/n02381460_510_restart.jpg"))
        #expect((restart.jpeg?.restartInterval ?? 0) > 0)
    }

    /// The DHT tables of a libjpeg-written file are T.81 Annex K's, which the decoder also installs
    /// for files without DHT and the encoder writes.
    @Test func standardHuffmanTablesMatchLibjpegs() throws {
        let dir = try #require(SharedData.conformance)
        let bytes = try ImageCodec.readFile(dir + "/n02381460_510_q75_420.jpg")
        var tables: [[UInt8]] = []
        var p = 2
        while p + 4 < bytes.count && bytes[p + 1] != 0xDA {
            let length = Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            if bytes[p + 1] == 0xC4 { tables.append(Array(bytes[(p + 4)..<(p + 2 + length)])) }
            p += 2 + length
        }
        typealias T = JPEGStandardTables
        let expected: [(Int, [Int], [UInt8])] = [
            (0x00, T.dcLuminanceCounts, T.dcLuminanceValues), (0x10, T.acLuminanceCounts, T.acLuminanceValues),
            (0x01, T.dcChrominanceCounts, T.dcChrominanceValues), (0x11, T.acChrominanceCounts, T.acChrominanceValues),
        ]
        try #require(tables.count == 4)
        for (table, (id, counts, values)) in zip(tables, expected) {
            #expect(Int(table[0]) == id)
            #expect(table[1..<17].map(Int.init) == counts)
            #expect(Array(table[17...]) == values)
        }
    }

    /// An APP1 EXIF segment with orientation 6 makes the decoder rotate the image a quarter turn clockwise.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func appliesEXIFOrientation(_ orientation: Int) throws {
        let dir = try #require(SharedData.conformance)
        let plain = try ImageCodec.readFile(dir + "/n02381460_510_odd_size.jpg")
        // Big-endian TIFF with one IFD0 entry: 0x0112 SHORT 1 = orientation.
        let tiff: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                             0, UInt8(orientation), 0, 0, 0, 0, 0, 0, 0]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let app1: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        let withExif = Array(plain[0..<2]) + app1 + Array(plain[2...])
        let upright = try ImageCodec.decode(withExif)
        let stored = try ImageCodec.decode(withExif, maxPixels: 1 << 20, applyOrientation: false)
        #expect(stored == (try ImageCodec.decode(plain)))
        #expect(try ImageCodec.info(withExif).jpeg?.orientation == orientation)
        // Check against pixel positions: where does the stored top-left pixel end up?
        let w = stored.width, h = stored.height
        let expectedSize = orientation >= 5 ? (h, w) : (w, h)
        #expect(upright.width == expectedSize.0 && upright.height == expectedSize.1)
        let corners: [Int: (Int, Int)] = [1: (0, 0), 2: (w - 1, 0), 3: (w - 1, h - 1), 4: (0, h - 1),
                                          5: (0, 0), 6: (h - 1, 0), 7: (h - 1, w - 1), 8: (0, w - 1)]
        let (cx, cy) = try #require(corners[orientation])
        let o = (cy * upright.width + cx) * 3
        #expect(Array(upright.pixels[o..<(o + 3)]) == Array(stored.pixels[0..<3]))
    }

    @Test func unsupportedAndCorruptFilesNameTheProblem() throws {
        let dir = try #require(SharedData.conformance)
        let good = try ImageCodec.readFile(dir + "/n02381460_510_q75_420.jpg")
        // Lossless SOF3 instead of SOF0.
        var lossless = good
        let sof = try #require((0..<(good.count - 1)).first { good[$0] == 0xFF && good[$0 + 1] == 0xC0 })
        lossless[sof + 1] = 0xC3
        #expect {
            try ImageCodec.decode(lossless)
        } throws: { error in
            guard let e = error as? ImageError, case .unsupported(.jpeg, let offset, let feature) = e else { return false }
            return offset == sof && feature.contains("lossless")
        }
        // 12-bit precision.
        var twelve = good
        twelve[sof + 4] = 12
        #expect(throws: ImageError.self) { try ImageCodec.decode(twelve) }
        // Not an image at all.
        #expect {
            try ImageCodec.decode(Array("hello".utf8))
        } throws: { error in
            (error as? ImageError)?.description.contains("not a JPEG or PNG") == true
        }
        // Missing file.
        #expect {
            try ImageCodec.decode(file: "/nonexistent/x.jpg")
        } throws: { error in
            (error as? ImageError)?.description.contains("/nonexistent/x.jpg") == true
        }
    }

    @Test func truncatedEntropyDataIsAnErrorAtTheEnd() throws {
        let dir = try #require(SharedData.conformance)
        for file in ["n02381460_510_q75_420.jpg", "n02381460_510_progressive.jpg"] {
            let good = try ImageCodec.readFile(dir + "/" + file)
            let cut = Array(good.prefix(good.count * 2 / 3))
            #expect {
                try ImageCodec.decode(cut)
            } throws: { error in
                guard let e = error as? ImageError, case .truncated(.jpeg, let offset, _) = e else { return false }
                return offset == cut.count
            }
        }
    }
}

import Foundation

/// Writes baseline JPEGs (JFIF, Huffman-coded, 8-bit).
public enum JPEGEncoder {
    /// Chroma subsampling of color images.
    public enum Subsampling: Sendable {
        /// Full-resolution chroma (4:4:4).
        case none
        /// Chroma halved horizontally and vertically (4:2:0), libjpeg's and Pillow's default.
        case halfBoth
    }

    /// Encodes `image` as a baseline JPEG at `quality` 1...100 (IJG scaling of the
    /// T.81 Annex K tables, as libjpeg / Pillow use them), 4:2:0 chroma.
    ///
    /// Gray (1 or 2 channels) is written as a one-component JPEG; RGB(A) as YCbCr.
    /// Alpha is dropped and 16-bit samples keep their high byte.
    public static func encode(_ image: Image, quality: Int = 90) -> [UInt8] {
        encode(image, quality: quality, subsampling: .halfBoth)
    }

    /// As ``encode(_:quality:)`` with an explicit chroma subsampling.
    public static func encode(_ image: Image, quality: Int, subsampling: Subsampling) -> [UInt8] {
        let source = image.eightBit()
        let gray = source.channels <= 2
        let width = source.width, height = source.height
        guard width > 0, height > 0, width <= 65535, height <= 65535, source.isConsistent else { return [] }
        let q = max(1, min(100, quality))
        let luminanceQuant = scaledTable(JPEGQuantization.luminance, quality: q)
        let chrominanceQuant = scaledTable(JPEGQuantization.chrominance, quality: q)

        // Component planes.
        var planes: [[UInt8]] = []
        if gray {
            planes = [(0..<(width * height)).map { source.pixels[$0 * source.channels] }]
        } else {
            planes = rgbToYCbCr(source)
        }
        let sub = !gray && subsampling == .halfBoth
        let hmax = sub ? 2 : 1, vmax = sub ? 2 : 1
        let mcuWidth = 8 * hmax, mcuHeight = 8 * vmax
        let mcusWide = (width + mcuWidth - 1) / mcuWidth, mcusHigh = (height + mcuHeight - 1) / mcuHeight

        var out: [UInt8] = [0xFF, 0xD8]
        // APP0 JFIF 1.01, no density units, aspect 1:1, no thumbnail.
        out += [0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        writeQuantTable(luminanceQuant, id: 0, into: &out)
        if !gray { writeQuantTable(chrominanceQuant, id: 1, into: &out) }
        // SOF0.
        let componentCount = gray ? 1 : 3
        out += [0xFF, 0xC0] + be16(8 + 3 * componentCount) + [8] + be16(height) + be16(width) + [UInt8(componentCount)]
        out += [1, UInt8(hmax << 4 | vmax), 0]
        if !gray { out += [2, 0x11, 1, 3, 0x11, 1] }
        // DHT: the Annex K tables.
        typealias T = JPEGStandardTables
        writeHuffmanTable(T.dcLuminanceCounts, T.dcLuminanceValues, tableClass: 0, id: 0, into: &out)
        writeHuffmanTable(T.acLuminanceCounts, T.acLuminanceValues, tableClass: 1, id: 0, into: &out)
        if !gray {
            writeHuffmanTable(T.dcChrominanceCounts, T.dcChrominanceValues, tableClass: 0, id: 1, into: &out)
            writeHuffmanTable(T.acChrominanceCounts, T.acChrominanceValues, tableClass: 1, id: 1, into: &out)
        }
        // SOS.
        out += [0xFF, 0xDA] + be16(6 + 2 * componentCount) + [UInt8(componentCount)]
        out += gray ? [1, 0x00] : [1, 0x00, 2, 0x11, 3, 0x11]
        out += [0, 63, 0]

        let dcLuma = HuffmanEncodeTable(counts: T.dcLuminanceCounts, values: T.dcLuminanceValues)
        let acLuma = HuffmanEncodeTable(counts: T.acLuminanceCounts, values: T.acLuminanceValues)
        let dcChroma = HuffmanEncodeTable(counts: T.dcChrominanceCounts, values: T.dcChrominanceValues)
        let acChroma = HuffmanEncodeTable(counts: T.acChrominanceCounts, values: T.acChrominanceValues)
        let lumaDivisors = divisors(luminanceQuant), chromaDivisors = divisors(chrominanceQuant)

        var writer = MSBBitWriter()
        var predictors = [0, 0, 0]
        var samples = [Float](repeating: 0, count: 64)
        var coefficients = [Int](repeating: 0, count: 64)
        for my in 0..<mcusHigh {
            for mx in 0..<mcusWide {
                for c in 0..<componentCount {
                    let (h, v) = c == 0 ? (hmax, vmax) : (1, 1)
                    let factor = c == 0 ? 1 : hmax  // chroma samples cover `hmax` x `vmax` pixels
                    for by in 0..<v {
                        for bx in 0..<h {
                            let x0 = (mx * h + bx) * 8, y0 = (my * v + by) * 8
                            loadBlock(planes[c], width: width, height: height, x0: x0, y0: y0,
                                      scale: c == 0 ? 1 : factor, into: &samples)
                            forwardDCT(samples, divisors: c == 0 ? lumaDivisors : chromaDivisors, into: &coefficients)
                            encodeBlock(coefficients, predictor: &predictors[c],
                                        dc: c == 0 ? dcLuma : dcChroma, ac: c == 0 ? acLuma : acChroma, &writer)
                        }
                    }
                }
            }
        }
        out += writer.finish()
        out += [0xFF, 0xD9]
        return out
    }

    // MARK: - Tables

    /// IJG quality scaling: 50 keeps the Annex K table, lower scales up, higher down.
    static func scaledTable(_ base: [Int], quality: Int) -> [Int] {
        let scale = quality < 50 ? 5000 / quality : 200 - 2 * quality
        return base.map { max(1, min(255, ($0 * scale + 50) / 100)) }
    }

    /// 1 / (4 q) per coefficient in natural order: folds the DCT's 1/4 normalization into quantization.
    private static func divisors(_ table: [Int]) -> [Float] { table.map { 1 / Float($0 * 4) } }

    private static func be16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    private static func writeQuantTable(_ table: [Int], id: UInt8, into out: inout [UInt8]) {
        out += [0xFF, 0xDB, 0x00, 0x43, id]
        for k in 0..<64 { out.append(UInt8(table[JPEGZigzag.natural[k]])) }
    }

    private static func writeHuffmanTable(_ counts: [Int], _ values: [UInt8], tableClass: UInt8, id: UInt8,
                                          into out: inout [UInt8])
    {
        out += [0xFF, 0xC4] + be16(2 + 17 + values.count) + [tableClass << 4 | id]
        out += counts.map { UInt8($0) } + values
    }

    // MARK: - Samples

    /// RGB -> Y, Cb, Cr planes (T.871 / libjpeg's `jccolor.c` equations, rounded).
    private static func rgbToYCbCr(_ image: Image) -> [[UInt8]] {
        let n = image.width * image.height, c = image.channels
        var y = [UInt8](repeating: 0, count: n), cb = y, cr = y
        image.pixels.withUnsafeBufferPointer { px in
            for i in 0..<n {
                let r = Float(px[i * c]), g = Float(px[i * c + 1]), b = Float(px[i * c + 2])
                y[i] = clampByte(0.299 * r + 0.587 * g + 0.114 * b)
                cb[i] = clampByte(-0.168_735_89 * r - 0.331_264_11 * g + 0.5 * b + 128)
                cr[i] = clampByte(0.5 * r - 0.418_687_59 * g - 0.081_312_41 * b + 128)
            }
        }
        return [y, cb, cr]
    }

    @inline(__always) private static func clampByte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }

    /// Loads an 8x8 block of a plane, level-shifted by -128. With `scale` 2 each
    /// sample is the average of a 2x2 pixel group (chroma subsampling). Samples
    /// past the image edge repeat the last row / column.
    private static func loadBlock(_ plane: [UInt8], width: Int, height: Int, x0: Int, y0: Int, scale: Int,
                                  into block: inout [Float])
    {
        for y in 0..<8 {
            for x in 0..<8 {
                var sum = 0
                for dy in 0..<scale {
                    for dx in 0..<scale {
                        let px = min(width - 1, (x0 + x) * scale + dx), py = min(height - 1, (y0 + y) * scale + dy)
                        sum += Int(plane[py * width + px])
                    }
                }
                block[y * 8 + x] = Float(sum) / Float(scale * scale) - 128
            }
        }
    }

    /// C(u) cos((2x + 1) u pi / 16), row u, column x; C(0) = 1/sqrt(2), else 1.
    private static let cosines: [Float] = (0..<64).map { i in
        let u = i / 8, x = i % 8
        let c: Float = u == 0 ? Float(1 / 2.0.squareRoot()) : 1
        return c * Float(cos(Double(2 * x + 1) * Double(u) * Double.pi / 16))
    }

    /// 2-D DCT-II of a block (T.81 A.3.3: F(u,v) = 1/4 C(u) C(v) sum f(x,y) cos cos), divided by q and
    /// rounded; AC values are kept within the 10-bit magnitude range baseline Huffman tables can code.
    private static func forwardDCT(_ block: [Float], divisors: [Float], into out: inout [Int]) {
        var temp = [Float](repeating: 0, count: 64)
        // Rows: temp[y][u] = sum_x block[y][x] * cos[u][x]
        for y in 0..<8 {
            for u in 0..<8 {
                var s: Float = 0
                for x in 0..<8 { s += block[y * 8 + x] * cosines[u * 8 + x] }
                temp[y * 8 + u] = s
            }
        }
        // Columns; the 1/4 normalization is folded into the divisors.
        for v in 0..<8 {
            for u in 0..<8 {
                var s: Float = 0
                for y in 0..<8 { s += temp[y * 8 + u] * cosines[v * 8 + y] }
                let limit = v == 0 && u == 0 ? 2047 : 1023
                out[v * 8 + u] = max(-limit, min(limit, Int((s * divisors[v * 8 + u]).rounded())))
            }
        }
    }

    // MARK: - Entropy coding

    private static func encodeBlock(_ coefficients: [Int], predictor: inout Int, dc: HuffmanEncodeTable,
                                    ac: HuffmanEncodeTable, _ writer: inout MSBBitWriter)
    {
        let diff = coefficients[0] - predictor
        predictor = coefficients[0]
        let dcSize = magnitudeBits(diff)
        dc.write(dcSize, &writer)
        if dcSize > 0 { writer.write(UInt32(truncatingIfNeeded: amplitude(diff, dcSize)), dcSize) }
        var run = 0
        for k in 1..<64 {
            let value = coefficients[JPEGZigzag.natural[k]]
            if value == 0 {
                run += 1
                continue
            }
            while run > 15 {
                ac.write(0xF0, &writer)
                run -= 16
            }
            let size = magnitudeBits(value)
            ac.write(run << 4 | size, &writer)
            writer.write(UInt32(truncatingIfNeeded: amplitude(value, size)), size)
            run = 0
        }
        if run > 0 { ac.write(0x00, &writer) }
    }

    /// Bits needed for |v| (the JPEG magnitude category).
    @inline(__always) private static func magnitudeBits(_ v: Int) -> Int {
        let m = abs(v)
        return m == 0 ? 0 : Int.bitWidth - m.leadingZeroBitCount
    }

    /// The `size` low bits JPEG sends for v: v itself if positive, v - 1 (ones' complement) if negative.
    @inline(__always) private static func amplitude(_ v: Int, _ size: Int) -> Int {
        (v >= 0 ? v : v - 1) & ((1 << size) - 1)
    }
}

/// The T.81 Annex K quantization tables, natural (row-major) order.
enum JPEGQuantization {
    static let luminance = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]
    static let chrominance = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ]
}

/// Code and length per symbol for writing JPEG Huffman codes.
struct HuffmanEncodeTable {
    var codes = [UInt32](repeating: 0, count: 256)
    var lengths = [Int](repeating: 0, count: 256)

    init(counts: [Int], values: [UInt8]) {
        var code: UInt32 = 0, k = 0
        for length in 1...16 {
            for _ in 0..<counts[length - 1] {
                codes[Int(values[k])] = code
                lengths[Int(values[k])] = length
                code += 1
                k += 1
            }
            code <<= 1
        }
    }

    @inline(__always) func write(_ symbol: Int, _ writer: inout MSBBitWriter) {
        writer.write(codes[symbol], lengths[symbol])
    }
}

/// Appends bit fields MSB-first with JPEG byte stuffing (0xFF is followed by 0x00).
struct MSBBitWriter {
    private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count = 0

    @inline(__always) mutating func write(_ value: UInt32, _ n: Int) {
        guard n > 0 else { return }
        buffer = buffer << UInt64(n) | UInt64(value & UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(n)) - 1))
        count += n
        while count >= 8 {
            let byte = UInt8(truncatingIfNeeded: buffer >> UInt64(count - 8))
            bytes.append(byte)
            if byte == 0xFF { bytes.append(0) }
            count -= 8
        }
    }

    /// Pads the last byte with one bits (T.81 F.1.2.3) and returns the data.
    mutating func finish() -> [UInt8] {
        if count > 0 { write(UInt32((1 << (8 - count)) - 1), 8 - count) }
        return bytes
    }
}

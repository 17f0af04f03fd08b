/// Writes PNG files: gray, gray + alpha, RGB or RGBA, 8 or 16 bits per sample, not interlaced.
public enum PNGEncoder {
    /// Encodes `image` as a PNG with zlib `level` 0 (stored) ... 9 (smallest).
    ///
    /// Each row gets the filter (None, Sub, Up, Average, Paeth) whose output has
    /// the smallest sum of absolute values, libpng's heuristic; level 0 uses None.
    /// An inconsistent image (`!image.isConsistent`) is written with no image rows.
    public static func encode(_ image: Image, level: Int = 6) -> [UInt8] {
        let colorType: UInt8
        switch image.channels {
        case 1: colorType = 0
        case 2: colorType = 4
        case 3: colorType = 2
        default: colorType = 6
        }
        var out = PNGSignature.bytes
        var header: [UInt8] = []
        header += bigEndian32(UInt32(image.width))
        header += bigEndian32(UInt32(image.height))
        header += [UInt8(image.bitDepth), colorType, 0, 0, 0]
        appendChunk("IHDR", header, to: &out)
        let filtered = filterRows(image, choose: level > 0)
        let compressed = Zlib.compress(filtered, level: level)
        // Split very large streams into several IDAT chunks as encoders conventionally do.
        var start = 0
        repeat {
            let end = min(compressed.count, start + (1 << 20))
            appendChunk("IDAT", Array(compressed[start..<end]), to: &out)
            start = end
        } while start < compressed.count
        appendChunk("IEND", [], to: &out)
        return out
    }

    static func bigEndian32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        out += bigEndian32(UInt32(data.count))
        let typeBytes = Array(type.utf8)
        out += typeBytes
        out += data
        var crc = CRC32()
        crc.update(typeBytes)
        crc.update(data)
        out += bigEndian32(crc.value)
    }

    /// Rows each prefixed with a filter type byte.
    private static func filterRows(_ image: Image, choose: Bool) -> [UInt8] {
        let rowBytes = image.rowBytes
        let bpp = image.bytesPerPixel
        let height = image.height
        guard image.isConsistent, rowBytes > 0, height > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        var candidates = [[UInt8]](repeating: [UInt8](repeating: 0, count: rowBytes), count: 5)
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<height {
                let row = y * rowBytes
                let above = row - rowBytes
                var best = 0
                if choose {
                    var bestScore = Int.max
                    for filter in 0..<5 {
                        var score = 0
                        candidates[filter].withUnsafeMutableBufferPointer { c in
                            for x in 0..<rowBytes {
                                let cur = Int(px[row + x])
                                let a = x >= bpp ? Int(px[row + x - bpp]) : 0
                                let b = y > 0 ? Int(px[above + x]) : 0
                                let d = (x >= bpp && y > 0) ? Int(px[above + x - bpp]) : 0
                                let predicted: Int
                                switch filter {
                                case 0: predicted = 0
                                case 1: predicted = a
                                case 2: predicted = b
                                case 3: predicted = (a + b) >> 1
                                default: predicted = PNGFilter.paeth(a, b, d)
                                }
                                let v = UInt8(truncatingIfNeeded: cur - predicted)
                                c[x] = v
                                score += v < 128 ? Int(v) : 256 - Int(v)
                            }
                        }
                        if score < bestScore {
                            bestScore = score
                            best = filter
                        }
                    }
                } else {
                    for x in 0..<rowBytes { candidates[0][x] = px[row + x] }
                }
                let o = y * (rowBytes + 1)
                out[o] = UInt8(best)
                out.replaceSubrange((o + 1)..<(o + 1 + rowBytes), with: candidates[best])
            }
        }
        return out
    }
}

/// PNG's filter predictors.
enum PNGFilter {
    /// The Paeth predictor: whichever of left, above, upper-left is closest to left + above - upper-left.
    @inline(__always) static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        if pb <= pc { return b }
        return c
    }
}

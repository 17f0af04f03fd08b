/// Separable resampling weights along one axis, computed as Pillow's `precompute_coeffs` does.
struct ResampleWeights {
    /// First input index and tap count for each output index.
    var start: [Int]
    var count: [Int]
    /// `taps` weights per output index (zero-padded), normalized to sum 1.
    var weights: [Double]
    var taps: Int

    /// Pillow's bicubic filter (a = -0.5, support 2).
    static func bicubic(_ t: Double) -> Double {
        let a = -0.5
        let x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Weights mapping `inSize` samples to `outSize`; when shrinking, the filter is
    /// stretched by the scale so every input sample contributes (antialiasing).
    init(inSize: Int, outSize: Int, support filterSupport: Double = 2, filter: (Double) -> Double = bicubic) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(1, scale)
        let support = filterSupport * filterScale
        taps = Int(support.rounded(.up)) * 2 + 1
        start = [Int](repeating: 0, count: outSize)
        count = [Int](repeating: 0, count: outSize)
        weights = [Double](repeating: 0, count: outSize * taps)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            // Truncation toward zero, as C's (int) cast.
            let xmin = max(0, Int(center - support + 0.5))
            let xmax = min(inSize, Int(center + support + 0.5)) - xmin
            var total = 0.0
            for x in 0..<max(0, xmax) {
                let w = filter((Double(x + xmin) - center + 0.5) / filterScale)
                weights[xx * taps + x] = w
                total += w
            }
            if total != 0 { for x in 0..<max(0, xmax) { weights[xx * taps + x] /= total } }
            start[xx] = xmin
            count[xx] = max(0, xmax)
        }
    }

    static let precisionBits = 22

    /// The weights in Pillow's fixed point (22 fractional bits, rounded half away from zero).
    var fixedPoint: [Int32] {
        weights.map { w in
            let scaled = w * Double(1 << ResampleWeights.precisionBits)
            return Int32(w < 0 ? (scaled - 0.5).rounded(.towardZero) : (scaled + 0.5).rounded(.towardZero))
        }
    }
}

extension Image {
    /// Resized to `width` x `height` with a bicubic filter, exactly as Pillow's
    /// `Image.resize(size, Image.BICUBIC)` (torchvision's `Resize` for CycleGAN):
    /// separable (horizontal pass first, then vertical, 8-bit in between),
    /// a = -0.5, the kernel widened by the scale factor when shrinking, weights
    /// in 22-bit fixed point, rounding and clamping as Pillow does. Images with
    /// alpha are resized premultiplied, as Pillow does for RGBA / LA.
    /// 16-bit images are resampled with the same weights in floating point.
    /// A non-positive size gives an empty image.
    public func resizedBicubic(width newWidth: Int, height newHeight: Int) -> Image {
        guard newWidth > 0, newHeight > 0, width > 0, height > 0 else {
            return Image(width: max(0, newWidth), height: max(0, newHeight), channels: channels, bitDepth: bitDepth,
                         pixels: [])
        }
        if newWidth == width && newHeight == height { return self }
        if bitDepth == 16 { return resized16(width: newWidth, height: newHeight) }
        let premultiplied = hasAlpha ? premultipliedAlpha() : self
        let horizontal = ResampleWeights(inSize: width, outSize: newWidth)
        let vertical = ResampleWeights(inSize: height, outSize: newHeight)
        var result = premultiplied
        if newWidth != width {
            // Only the rows the vertical pass reads.
            let first = newHeight != height ? vertical.start[0] : 0
            let last = newHeight != height ? vertical.start[newHeight - 1] + vertical.count[newHeight - 1] : height
            result = Image.resampleRows(premultiplied, horizontal, rows: first..<last)
            var shifted = vertical
            for i in 0..<newHeight { shifted.start[i] -= first }
            if newHeight != height { result = Image.resampleColumns(result, shifted) }
        } else {
            result = Image.resampleColumns(premultiplied, vertical)
        }
        return hasAlpha ? result.unpremultipliedAlpha() : result
    }

    /// Pillow's `clip8`: the fixed-point sum shifted down and clamped to 0...255.
    @inline(__always) private static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> Int32(ResampleWeights.precisionBits)
        return UInt8(max(0, min(255, v)))
    }

    private static func resampleRows(_ image: Image, _ w: ResampleWeights, rows: Range<Int>) -> Image {
        let outWidth = w.start.count
        let c = image.channels
        let inRow = image.width * c
        var out = [UInt8](repeating: 0, count: outWidth * rows.count * c)
        let k = w.fixedPoint
        let taps = w.taps
        let half: Int32 = 1 << Int32(ResampleWeights.precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { srcBuffer in
            out.withUnsafeMutableBufferPointer { dstBuffer in
                k.withUnsafeBufferPointer { kk in
                    w.start.withUnsafeBufferPointer { starts in
                        w.count.withUnsafeBufferPointer { counts in
                            guard let src = srcBuffer.baseAddress, let dst = dstBuffer.baseAddress,
                                  let weights = kk.baseAddress else { return }
                            for (oy, y) in rows.enumerated() {
                                let row = src + y * inRow
                                let outRow = dst + oy * outWidth * c
                                for xx in 0..<outWidth {
                                    let first = row + starts[xx] * c
                                    let n = counts[xx]
                                    let kw = weights + xx * taps
                                    if c == 3 {
                                        // Three independent sums: the common RGB case, latency-bound otherwise.
                                        var s0 = half, s1 = half, s2 = half
                                        var p = first
                                        for x in 0..<n {
                                            let weight = kw[x]
                                            s0 &+= Int32(p[0]) &* weight
                                            s1 &+= Int32(p[1]) &* weight
                                            s2 &+= Int32(p[2]) &* weight
                                            p += 3
                                        }
                                        outRow[xx * 3] = clip8(s0)
                                        outRow[xx * 3 + 1] = clip8(s1)
                                        outRow[xx * 3 + 2] = clip8(s2)
                                        continue
                                    }
                                    for ch in 0..<c {
                                        var sum = half
                                        var p = first + ch
                                        for x in 0..<n {
                                            sum &+= Int32(p.pointee) &* kw[x]
                                            p += c
                                        }
                                        outRow[xx * c + ch] = clip8(sum)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Image(width: outWidth, height: rows.count, channels: c, pixels: out)
    }

    private static func resampleColumns(_ image: Image, _ w: ResampleWeights) -> Image {
        let outHeight = w.start.count
        let c = image.channels
        let rowLength = image.width * c
        var out = [UInt8](repeating: 0, count: rowLength * outHeight)
        let k = w.fixedPoint
        let taps = w.taps
        let half: Int32 = 1 << Int32(ResampleWeights.precisionBits - 1)
        var sums = [Int32](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { srcBuffer in
            out.withUnsafeMutableBufferPointer { dstBuffer in
                sums.withUnsafeMutableBufferPointer { acc in
                    guard let src = srcBuffer.baseAddress, let dst = dstBuffer.baseAddress else { return }
                    for yy in 0..<outHeight {
                        for i in 0..<rowLength { acc[i] = half }
                        // Accumulate whole rows: contiguous, vectorizable.
                        for y in 0..<w.count[yy] {
                            let weight = k[yy * taps + y]
                            let row = src + (w.start[yy] + y) * rowLength
                            for i in 0..<rowLength { acc[i] &+= Int32(row[i]) &* weight }
                        }
                        let outRow = dst + yy * rowLength
                        for i in 0..<rowLength { outRow[i] = clip8(acc[i]) }
                    }
                }
            }
        }
        return Image(width: image.width, height: outHeight, channels: c, pixels: out)
    }

    /// Color samples multiplied by alpha / 255 (Pillow's RGBA -> RGBa rounding).
    private func premultipliedAlpha() -> Image {
        var out = pixels
        let c = channels
        for p in 0..<(width * height) {
            let alpha = Int(out[p * c + c - 1])
            for ch in 0..<(c - 1) {
                let t = Int(out[p * c + ch]) * alpha + 128
                out[p * c + ch] = UInt8(((t >> 8) + t) >> 8)
            }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }

    /// The inverse of ``premultipliedAlpha()`` (Pillow's RGBa -> RGBA: 255 * v / alpha, truncated, clamped).
    private func unpremultipliedAlpha() -> Image {
        var out = pixels
        let c = channels
        for p in 0..<(width * height) {
            let alpha = Int(out[p * c + c - 1])
            if alpha == 0 || alpha == 255 { continue }
            for ch in 0..<(c - 1) { out[p * c + ch] = UInt8(min(255, 255 * Int(out[p * c + ch]) / alpha)) }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }

    /// 16-bit resampling with the same weights in floating point (rounded, clamped to 0...65535).
    private func resized16(width newWidth: Int, height newHeight: Int) -> Image {
        let horizontal = ResampleWeights(inSize: width, outSize: newWidth)
        let vertical = ResampleWeights(inSize: height, outSize: newHeight)
        let c = channels
        var samples = [Double](repeating: 0, count: width * height * c)
        for i in 0..<samples.count { samples[i] = Double(Int(pixels[2 * i]) << 8 | Int(pixels[2 * i + 1])) }
        var temp = [Double](repeating: 0, count: newWidth * height * c)
        for y in 0..<height {
            for xx in 0..<newWidth {
                for ch in 0..<c {
                    var sum = 0.0
                    for x in 0..<horizontal.count[xx] {
                        sum += samples[(y * width + horizontal.start[xx] + x) * c + ch] * horizontal.weights[xx * horizontal.taps + x]
                    }
                    temp[(y * newWidth + xx) * c + ch] = sum
                }
            }
        }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * c * 2)
        for yy in 0..<newHeight {
            for i in 0..<(newWidth * c) {
                var sum = 0.0
                for y in 0..<vertical.count[yy] {
                    sum += temp[(vertical.start[yy] + y) * newWidth * c + i] * vertical.weights[yy * vertical.taps + y]
                }
                let v = Int(max(0, min(65535, sum.rounded())))
                out[2 * (yy * newWidth * c + i)] = UInt8(v >> 8)
                out[2 * (yy * newWidth * c + i) + 1] = UInt8(v & 0xFF)
            }
        }
        return Image(width: newWidth, height: newHeight, channels: c, bitDepth: 16, pixels: out)
    }
}

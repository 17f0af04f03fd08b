/// One image `[C, H, W]` seen as its im2col matrix `[C*KH*KW, OH*OW]`: row `(c, kh, kw)`, column
/// `(oh, ow)` holds `x[c, oh*s - p + kh, ow*s - p + kw]` (0 in the padding). Never materialised:
/// the GEMM packs straight from the image; `Col2Im` is the adjoint.
struct Im2ColMatrix: MatrixSource, @unchecked Sendable {
    let image: UnsafeMutablePointer<Float>
    let geometry: ConvGeometry

    var prefersRowCopies: Bool { true }

    /// Output columns `[low, high)` whose input column `ow*s - p + kw` lies inside the image.
    @inline(__always)
    private func validColumns(kw: Int) -> (low: Int, high: Int) {
        let g = geometry
        let before = g.padding - kw
        let low = before <= 0 ? 0 : Swift.min(g.outWidth, (before + g.stride - 1) / g.stride)
        let last = g.width - 1 + g.padding - kw
        let high = last < 0 ? 0 : Swift.min(g.outWidth, last / g.stride + 1)
        return (low, Swift.max(low, high))
    }

    func copyRow(_ row: Int, columns start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        let g = geometry
        let kernelArea = g.kernelHeight * g.kernelWidth
        let c = row / kernelArea
        let kh = (row - c * kernelArea) / g.kernelWidth
        let kw = row - c * kernelArea - kh * g.kernelWidth
        let plane = image + c * g.height * g.width
        let (low, high) = validColumns(kw: kw)
        var pixel = start
        let end = start + count
        var out = dst
        var oh = pixel / g.outWidth
        var ow = pixel - oh * g.outWidth
        while pixel < end {
            let run = Swift.min(end - pixel, g.outWidth - ow)
            let ih = oh * g.stride - g.padding + kh
            if ih < 0 || ih >= g.height {
                for t in 0..<run { out[t &* stride] = 0 }
            } else {
                let a = Swift.min(Swift.max(low, ow), ow + run)
                let b = Swift.max(Swift.min(high, ow + run), a)
                for t in 0..<(a - ow) { out[t &* stride] = 0 }
                if b > a {
                    let src = plane + ih * g.width + a * g.stride - g.padding + kw
                    stridedCopy(from: src, stride: g.stride, to: out + (a - ow) * stride, stride: stride, count: b - a)
                }
                for t in (b - ow)..<run { out[t &* stride] = 0 }
            }
            pixel += run
            out += run * stride
            oh += 1
            ow = 0
        }
    }

    /// The GEMM's B packing for stride 2 straight from the image: a panel's 16 columns that lie
    /// in one output row, all inside the image, are the even half of one 32-float load; other
    /// panels are gathered element by element. (Stride 1 is left to the row copies, whose
    /// `memmove` of whole output rows measured as fast and has no per-panel edge cases.)
    func packColumnPanels(rows first: Int, _ rows: Int, columns start: Int, count: Int, width: Int, into dst: UnsafeMutablePointer<Float>) -> Bool {
        let g = geometry
        guard width == 16, g.stride == 2, count > 0 else { return false }
        let panels = (count + width - 1) / width
        let kernelArea = g.kernelHeight * g.kernelWidth
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * panels) { origins -> Bool in
            guard let origin = origins.baseAddress else { return false }
            // Output row and column of each panel's first pixel.
            for q in 0..<panels {
                let pixel = start + q * width
                origin[2 * q] = pixel / g.outWidth
                origin[2 * q + 1] = pixel - origin[2 * q] * g.outWidth
            }
            for p in 0..<rows {
                let row = first + p
                let c = row / kernelArea
                let kh = (row - c * kernelArea) / g.kernelWidth
                let kw = row - c * kernelArea - kh * g.kernelWidth
                let plane = image + c * g.height * g.width
                let (low, high) = validColumns(kw: kw)
                for q in 0..<panels {
                    let out = dst + q * width * rows + p * width
                    let oh = origin[2 * q], ow = origin[2 * q + 1]
                    let columns = Swift.min(width, count - q * width)
                    let ih = oh * g.stride - g.padding + kh
                    let iw = ow * 2 - g.padding + kw
                    if columns == width, ow >= low, ow + width <= high, ih >= 0, ih < g.height, iw + 2 * width <= g.width {
                        let src = plane + ih * g.width + iw
                        storeVector(UnsafeRawPointer(src).loadUnaligned(as: SIMD32<Float>.self).evenHalf, out)
                        continue
                    }
                    gather(plane: plane, kh: kh, kw: kw, low: low, high: high, oh: oh, ow: ow, columns: columns, width: width, into: out)
                }
            }
            return true
        }
    }

    /// One panel row element by element: `columns` pixels from (oh, ow) on, zero outside the
    /// image and after the last column.
    @inline(__always)
    private func gather(
        plane: UnsafeMutablePointer<Float>, kh: Int, kw: Int, low: Int, high: Int, oh: Int, ow: Int, columns: Int, width: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let g = geometry
        var t = 0
        var oh = oh, ow = ow
        while t < columns {
            let run = Swift.min(columns - t, g.outWidth - ow)
            let ih = oh * g.stride - g.padding + kh
            if ih < 0 || ih >= g.height {
                for u in 0..<run { out[t + u] = 0 }
            } else {
                let a = Swift.min(Swift.max(low, ow), ow + run)
                let b = Swift.max(Swift.min(high, ow + run), a)
                for u in 0..<(a - ow) { out[t + u] = 0 }
                let src = plane + ih * g.width - g.padding + kw
                for x in a..<b { out[t + x - ow] = src[x &* g.stride] }
                for u in (b - ow)..<run { out[t + u] = 0 }
            }
            t += run
            oh += 1
            ow = 0
        }
        for u in columns..<width { out[u] = 0 }
    }

    func copyColumn(_ column: Int, rows start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        let g = geometry
        let oh = column / g.outWidth
        let ow = column - oh * g.outWidth
        let kernelArea = g.kernelHeight * g.kernelWidth
        for t in 0..<count {
            let row = start + t
            let c = row / kernelArea
            let kh = (row - c * kernelArea) / g.kernelWidth
            let kw = row - c * kernelArea - kh * g.kernelWidth
            let ih = oh * g.stride - g.padding + kh
            let iw = ow * g.stride - g.padding + kw
            if ih >= 0, ih < g.height, iw >= 0, iw < g.width {
                dst[t * stride] = image[(c * g.height + ih) * g.width + iw]
            } else {
                dst[t * stride] = 0
            }
        }
    }
}

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

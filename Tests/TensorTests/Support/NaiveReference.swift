/// Straightforward float64 implementations of every op, written from the definitions
/// (independent of the library's GEMM formulation), for the forward and gradient checks.
enum Naive {
    static func conv2d(
        _ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], _ b: [Double]?, stride: Int, padding: Int
    ) -> [Double] {
        let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
        let (o, kh, kw) = (ws[0], ws[2], ws[3])
        let oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * padding - kw) / stride + 1
        var out = [Double](repeating: 0, count: n * o * oh * ow)
        for s in 0..<n { for oc in 0..<o { for y in 0..<oh { for xx in 0..<ow {
            var acc = b?[oc] ?? 0
            for ic in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let iy = y * stride - padding + i, ix = xx * stride - padding + j
                if iy >= 0, iy < h, ix >= 0, ix < wd {
                    acc += x[((s * c + ic) * h + iy) * wd + ix] * w[((oc * c + ic) * kh + i) * kw + j]
                }
            } } }
            out[((s * o + oc) * oh + y) * ow + xx] = acc
        } } } }
        return out
    }

    /// Transposed convolution from its scatter definition; weight `[Cin, Cout, KH, KW]`.
    static func convTranspose2d(
        _ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], _ b: [Double]?, stride: Int, padding: Int, outputPadding: Int
    ) -> [Double] {
        let (n, ci, h, wd) = (xs[0], xs[1], xs[2], xs[3])
        let (co, kh, kw) = (ws[1], ws[2], ws[3])
        let oh = (h - 1) * stride - 2 * padding + kh + outputPadding
        let ow = (wd - 1) * stride - 2 * padding + kw + outputPadding
        var out = [Double](repeating: 0, count: n * co * oh * ow)
        for s in 0..<n { for oc in 0..<co { for i in 0..<(oh * ow) { out[(s * co + oc) * oh * ow + i] = b?[oc] ?? 0 } } }
        for s in 0..<n { for ic in 0..<ci { for y in 0..<h { for xx in 0..<wd {
            let v = x[((s * ci + ic) * h + y) * wd + xx]
            for oc in 0..<co { for i in 0..<kh { for j in 0..<kw {
                let oy = y * stride - padding + i, ox = xx * stride - padding + j
                if oy >= 0, oy < oh, ox >= 0, ox < ow {
                    out[((s * co + oc) * oh + oy) * ow + ox] += v * w[((ic * co + oc) * kh + i) * kw + j]
                }
            } } }
        } } } }
        return out
    }

    static func reflectionPad2d(_ x: [Double], _ xs: [Int], _ p: Int) -> [Double] {
        let (n, c, h, w) = (xs[0], xs[1], xs[2], xs[3])
        let oh = h + 2 * p, ow = w + 2 * p
        func reflect(_ i: Int, _ size: Int) -> Int { i < 0 ? -i : (i >= size ? 2 * size - 2 - i : i) }
        var out = [Double](repeating: 0, count: n * c * oh * ow)
        for plane in 0..<(n * c) { for y in 0..<oh { for xx in 0..<ow {
            out[(plane * oh + y) * ow + xx] = x[(plane * h + reflect(y - p, h)) * w + reflect(xx - p, w)]
        } } }
        return out
    }

    static func instanceNorm2d(_ x: [Double], _ xs: [Int], eps: Double) -> [Double] {
        let planes = xs[0] * xs[1], size = xs[2] * xs[3]
        var out = x
        for plane in 0..<planes {
            let values = x[(plane * size)..<((plane + 1) * size)]
            let mean = values.reduce(0, +) / Double(size)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(size)
            for i in 0..<size { out[plane * size + i] = (x[plane * size + i] - mean) / (variance + eps).squareRoot() }
        }
        return out
    }
}

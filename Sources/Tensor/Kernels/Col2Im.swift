/// col2im (the adjoint of the im2col matrix) for a chunk of whole output rows, parallel over
/// (channel, block of input rows): every task owns whole rows of the image, so no two tasks write
/// the same memory and each element sums its contributions in the same order (kh, then kw)
/// whatever the thread count.
enum Col2Im {
    /// Input rows per task.
    static let rowBlock = 8

    /// Adds `columns` (`[patch, rowCount * outWidth]` row-major: the im2col values of output rows
    /// `firstRow..<firstRow+rowCount`) into one sample's image `[C, H, W]`.
    static func accumulate(
        _ g: ConvGeometry, columns: UnsafeMutablePointer<Float>, firstRow: Int, rowCount: Int,
        into image: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        let s = g.stride, p = g.padding
        let low = Swift.max(0, firstRow * s - p)
        let high = Swift.min(g.height, (firstRow + rowCount - 1) * s - p + g.kernelHeight)
        guard high > low else { return }
        let blocks = (high - low + rowBlock - 1) / rowBlock
        let cols = SharedPointer(columns), out = SharedPointer(image)
        pool.parallelFor(g.channels * blocks) { task in
            let c = task / blocks
            let from = low + (task % blocks) * rowBlock
            let to = Swift.min(high, from + rowBlock)
            for ih in from..<to {
                accumulateRow(g, columns: cols.base, firstRow: firstRow, rowCount: rowCount, channel: c, inputRow: ih, into: out.base)
            }
        }
    }

    /// All contributions of the chunk to input row `ih` of channel `c`.
    @inline(__always)
    static func accumulateRow(
        _ g: ConvGeometry, columns: UnsafeMutablePointer<Float>, firstRow: Int, rowCount: Int, channel c: Int, inputRow ih: Int,
        into image: UnsafeMutablePointer<Float>
    ) {
        let s = g.stride, p = g.padding
        let ow = g.outWidth
        let ldc = rowCount * ow
        let out = image + (c * g.height + ih) * g.width
        for kh in 0..<g.kernelHeight {
            let t = ih + p - kh
            guard t >= 0, t % s == 0 else { continue }
            let oh = t / s
            guard oh >= firstRow, oh < firstRow + rowCount else { continue }
            let rowBase = columns + ((c * g.kernelHeight + kh) * g.kernelWidth) * ldc + (oh - firstRow) * ow
            var kw = 0
            while kw < g.kernelWidth {
                let (a, b) = valid(g, kw: kw)
                let src = rowBase + kw * ldc
                if s == 1 {
                    if b > a { Elementwise.addInPlace(out + a - p + kw, src + a, count: b - a) }
                    kw += 1
                } else if s == 2, kw + 1 < g.kernelWidth {
                    // Taps kw and kw+1 fill alternate elements of one contiguous run.
                    let (a1, b1) = valid(g, kw: kw + 1)
                    let next = src + ldc
                    let lo = Swift.max(a, a1), hi = Swift.max(lo, Swift.min(b, b1))
                    for x in a..<Swift.min(lo, b) { out[2 &* x - p + kw] += src[x] }
                    for x in a1..<Swift.min(lo, b1) { out[2 &* x - p + kw + 1] += next[x] }
                    let run = out + 2 * lo - p + kw
                    let even = src + lo, odd = next + lo
                    // 8 + 8 values interleaved into one 16-float vector (same sums, same order).
                    var x = 0
                    while x + 8 <= hi - lo {
                        var pair = SIMD16<Float>()
                        pair.evenHalf = UnsafeRawPointer(even + x).loadUnaligned(as: SIMD8<Float>.self)
                        pair.oddHalf = UnsafeRawPointer(odd + x).loadUnaligned(as: SIMD8<Float>.self)
                        storeVector(loadVector(run + 2 * x) + pair, run + 2 * x)
                        x += 8
                    }
                    while x < hi - lo {
                        run[2 &* x] += even[x]
                        run[2 &* x + 1] += odd[x]
                        x += 1
                    }
                    for x in Swift.min(Swift.max(hi, a), b)..<b { out[2 &* x - p + kw] += src[x] }
                    for x in Swift.min(Swift.max(hi, a1), b1)..<b1 { out[2 &* x - p + kw + 1] += next[x] }
                    kw += 2
                } else {
                    for x in a..<b { out[x &* s - p + kw] += src[x] }
                    kw += 1
                }
            }
        }
    }

    /// Output columns `[low, high)` whose input column `ow*s - p + kw` lies inside the image.
    @inline(__always)
    static func valid(_ g: ConvGeometry, kw: Int) -> (Int, Int) {
        let before = g.padding - kw
        let low = before <= 0 ? 0 : Swift.min(g.outWidth, (before + g.stride - 1) / g.stride)
        let last = g.width - 1 + g.padding - kw
        let high = last < 0 ? 0 : Swift.min(g.outWidth, last / g.stride + 1)
        return (low, Swift.max(low, high))
    }
}

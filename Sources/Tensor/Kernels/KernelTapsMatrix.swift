/// A convolution weight `[O, C, KH, KW]` seen as a `[C, O * T]` matrix over a list of T kernel
/// taps: element `(c, o * T + i)` is `w[o, c, taps[i]]`, a tap being an offset inside one
/// `KH * KW` kernel. Two input-gradient GEMMs take their A operand this way:
/// - a stride-1 convolution's: all taps, rotated by 180 degrees (``flipped(weight:channels:area:)``);
/// - a strided convolution's, one stride phase at a time: the taps that reach the phase.
///
/// The GEMM packs A anyway, so reading the weight through the taps while packing replaces a
/// separate pass that rearranged the whole weight (2.4 MB for a 256-channel 3x3 layer) on every
/// call, on one thread, reading at a stride that maps to a few L1 sets.
struct KernelTapsMatrix: MatrixSource, @unchecked Sendable {
    /// The weight `[O, C, KH, KW]`.
    let weight: UnsafeMutablePointer<Float>
    /// C: the matrix's rows.
    let channels: Int
    /// KH * KW: floats per kernel.
    let area: Int
    /// Offsets inside one kernel, in column order.
    let taps: [Int]

    /// All taps of each kernel in reverse order: the weight of the stride-1 convolution of dy
    /// that computes a stride-1 convolution's input gradient.
    static func flipped(weight: UnsafeMutablePointer<Float>, channels: Int, area: Int) -> KernelTapsMatrix {
        KernelTapsMatrix(weight: weight, channels: channels, area: area, taps: (0..<area).map { area - 1 - $0 })
    }

    /// Rows of one column are `area` floats apart; one row's columns jump between kernels.
    var prefersRowCopies: Bool { false }

    @inline(__always)
    private func address(row c: Int, column j: Int) -> UnsafeMutablePointer<Float> {
        let o = j / taps.count
        return weight + (o * channels + c) * area + taps[j - o * taps.count]
    }

    func copyRow(_ row: Int, columns start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        for p in 0..<count { dst[p * stride] = address(row: row, column: start + p).pointee }
    }

    func copyColumn(_ column: Int, rows start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        stridedCopy(from: address(row: start, column: column), stride: area, to: dst, stride: stride, count: count)
    }

    /// For one o, a panel's rows are adjacent kernels, so a panel reads one small stretch of the
    /// weight per o.
    func packPanel(rows first: Int, _ rows: Int, columns start: Int, count: Int, panel: Int, into dst: UnsafeMutablePointer<Float>) {
        let tapCount = taps.count, area = area
        var o = start / tapCount, i = start - o * tapCount
        var out = dst
        taps.withUnsafeBufferPointer { offsets in
            var kernel = weight + (o * channels + first) * area
            for _ in 0..<count {
                let src = kernel + offsets[i]
                if rows == 6 {
                    out[0] = src[0]
                    out[1] = src[area]
                    out[2] = src[2 * area]
                    out[3] = src[3 * area]
                    out[4] = src[4 * area]
                    out[5] = src[5 * area]
                } else {
                    for r in 0..<rows { out[r] = src[r * area] }
                }
                out += panel
                i += 1
                if i == tapCount {
                    i = 0
                    o += 1
                    kernel = weight + (o * channels + first) * area
                }
            }
        }
    }
}

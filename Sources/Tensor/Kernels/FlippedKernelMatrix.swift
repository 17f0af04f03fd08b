/// A convolution weight `[O, C, KH, KW]` seen as the `[C, O * KH * KW]` matrix of the stride-1
/// convolution that computes its input gradient: element `(c, (o, t))` is
/// `w[o, c, area - 1 - t]` (the kernel transposed in its channels and rotated by 180 degrees),
/// with `area = KH * KW`.
///
/// The GEMM packs its A operand anyway, so reading the weight this way while packing replaces a
/// separate flip pass over the whole weight (2.4 MB for a 256-channel 3x3 layer, on every call).
struct FlippedKernelMatrix: MatrixSource, @unchecked Sendable {
    /// The weight `[O, C, KH, KW]`.
    let weight: UnsafeMutablePointer<Float>
    /// C: the matrix's rows.
    let channels: Int
    /// KH * KW.
    let area: Int

    /// Rows of one column are `area` floats apart; one row's columns jump between kernels.
    var prefersRowCopies: Bool { false }

    @inline(__always)
    private func address(row c: Int, column j: Int) -> UnsafeMutablePointer<Float> {
        let o = j / area, t = j - o * area
        return weight + (o * channels + c) * area + (area - 1 - t)
    }

    func copyRow(_ row: Int, columns start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        for p in 0..<count { dst[p * stride] = address(row: row, column: start + p).pointee }
    }

    func copyColumn(_ column: Int, rows start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        stridedCopy(from: address(row: start, column: column), stride: area, to: dst, stride: stride, count: count)
    }

    /// For one o, the panel's rows are consecutive kernels: the reads of a panel walk `rows`
    /// adjacent kernels backwards, one tap at a time.
    func packPanel(rows first: Int, _ rows: Int, columns start: Int, count: Int, panel: Int, into dst: UnsafeMutablePointer<Float>) {
        var o = start / area, t = start - o * area
        var out = dst
        let area = area
        if rows == 6 {
            for _ in 0..<count {
                let src = weight + (o * channels + first) * area + (area - 1 - t)
                out[0] = src[0]
                out[1] = src[area]
                out[2] = src[2 * area]
                out[3] = src[3 * area]
                out[4] = src[4 * area]
                out[5] = src[5 * area]
                out += panel
                t += 1
                if t == area { t = 0; o += 1 }
            }
            return
        }
        for _ in 0..<count {
            let src = weight + (o * channels + first) * area + (area - 1 - t)
            for r in 0..<rows { out[r] = src[r * area] }
            out += panel
            t += 1
            if t == area { t = 0; o += 1 }
        }
    }
}

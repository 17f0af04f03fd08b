/// A logical row-major matrix the GEMM packs its operands from. Implementations read from wherever
/// the data really lives (a dense buffer with any strides, or an image seen as im2col columns), so
/// no operand has to be materialised in GEMM order.
protocol MatrixSource: Sendable {
    /// True when copying along a row (consecutive columns) is the cheap direction.
    var prefersRowCopies: Bool { get }
    /// Writes `count` elements of row `row`, columns `start...`, to `dst[0], dst[stride], ...`.
    func copyRow(_ row: Int, columns start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int)
    /// Writes `count` elements of column `column`, rows `start...`, to `dst[0], dst[stride], ...`.
    func copyColumn(_ column: Int, rows start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int)
    /// Writes rows `first..<first+rows` (rows <= panel), columns `start..<start+count`, interleaved:
    /// element (row r, column p) to `dst[p * panel + r]` (one packed GEMM A panel).
    func packPanel(rows first: Int, _ rows: Int, columns start: Int, count: Int, panel: Int, into dst: UnsafeMutablePointer<Float>)
}

extension MatrixSource {
    func packPanel(rows first: Int, _ rows: Int, columns start: Int, count: Int, panel: Int, into dst: UnsafeMutablePointer<Float>) {
        if prefersRowCopies {
            for r in 0..<rows { copyRow(first + r, columns: start, count: count, to: dst + r, stride: panel) }
        } else {
            for p in 0..<count { copyColumn(start + p, rows: first, count: rows, to: dst + p * panel, stride: 1) }
        }
    }
}

/// Copies `count` floats between strided locations.
@inline(__always)
func stridedCopy(
    from src: UnsafePointer<Float>, stride srcStride: Int,
    to dst: UnsafeMutablePointer<Float>, stride dstStride: Int, count: Int
) {
    if srcStride == 1 && dstStride == 1 {
        dst.update(from: src, count: count)
    } else if dstStride == 1 {
        for t in 0..<count { dst[t] = src[t &* srcStride] }
    } else if srcStride == 1 {
        for t in 0..<count { dst[t &* dstStride] = src[t] }
    } else {
        for t in 0..<count { dst[t &* dstStride] = src[t &* srcStride] }
    }
}

/// A dense matrix with arbitrary row and column strides (covers transposed views).
struct DenseMatrix: MatrixSource, @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let rowStride: Int
    let columnStride: Int

    var prefersRowCopies: Bool { columnStride <= rowStride }

    func copyRow(_ row: Int, columns start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        stridedCopy(from: base + row * rowStride + start * columnStride, stride: columnStride, to: dst, stride: stride, count: count)
    }

    func copyColumn(_ column: Int, rows start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        stridedCopy(from: base + start * rowStride + column * columnStride, stride: rowStride, to: dst, stride: stride, count: count)
    }

    func packPanel(rows first: Int, _ rows: Int, columns start: Int, count: Int, panel: Int, into dst: UnsafeMutablePointer<Float>) {
        guard columnStride == 1, rows == 6, panel == 6 else {
            if prefersRowCopies {
                for r in 0..<rows { copyRow(first + r, columns: start, count: count, to: dst + r, stride: panel) }
            } else {
                for p in 0..<count { copyColumn(start + p, rows: first, count: rows, to: dst + p * panel, stride: 1) }
            }
            return
        }
        // Six row streams, one sequential write stream.
        let r0 = base + first * rowStride + start
        let r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride, r4 = r3 + rowStride, r5 = r4 + rowStride
        var out = dst
        for p in 0..<count {
            out[0] = r0[p]
            out[1] = r1[p]
            out[2] = r2[p]
            out[3] = r3[p]
            out[4] = r4[p]
            out[5] = r5[p]
            out += 6
        }
    }
}

/// The transpose of another source.
struct TransposedMatrix<Base: MatrixSource>: MatrixSource {
    let base: Base

    var prefersRowCopies: Bool { !base.prefersRowCopies }

    func copyRow(_ row: Int, columns start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        base.copyColumn(row, rows: start, count: count, to: dst, stride: stride)
    }

    func copyColumn(_ column: Int, rows start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        base.copyRow(column, columns: start, count: count, to: dst, stride: stride)
    }

    func packPanel(rows first: Int, _ rows: Int, columns start: Int, count: Int, panel: Int, into dst: UnsafeMutablePointer<Float>) {
        if prefersRowCopies {
            for r in 0..<rows { copyRow(first + r, columns: start, count: count, to: dst + r, stride: panel) }
        } else {
            for p in 0..<count { copyColumn(start + p, rows: first, count: rows, to: dst + p * panel, stride: 1) }
        }
    }
}

/// Stride-1 convolutions with one output channel, a 4x4 kernel and output rows of at most 32
/// pixels: PatchGAN's last layer (512 -> 1, 4x4, pad 1, 32x32 -> 31x31). A whole output row is
/// 4 SIMD8 vectors, so the kernels keep several rows in registers and reuse every loaded input
/// vector across the kernel rows that need it:
/// - forward: 2 output rows x 4 vectors = 8 accumulators; each input row vector (one load)
///   feeds both output rows (kernel rows r and r - 1). (3 rows need 12 accumulators + 3
///   weights + 1 input, and the compiler then spills accumulators: half speed.)
/// - weight gradient: 4 kernel rows x 2 kernel columns = 8 accumulators; the 4 dy rows a kernel
///   row pairs with rotate through registers, so each input row costs 1 dy load + 2 input loads
///   for 8 multiply-adds.
/// Zero padding comes from small per-task buffers (hot in L1/L2): the input rows are copied a
/// channel or two at a time into their middle, 64-byte aligned, and the zeros around them are
/// written by the first copy into a buffer only. Results do not depend on the thread count: the
/// forward pass sums fixed channel groups in a fixed order; every weight gradient is summed by
/// one task in a fixed order.
enum SingleOutputConv {
    /// Kernel height and width.
    static let kernel = 4
    /// Output pixels per row held in registers (4 SIMD8 vectors).
    static let lanes = 32
    /// Floats per local padded input row: reads reach column `lanes - 1 + kernel - 1` = 34; 48
    /// floats keep rows 64-byte aligned.
    static let rowStride = 48
    /// Output rows per forward register tile.
    static let blockRows = 2
    /// Input channels per forward task (fixed, so the summation order is too).
    static let channelGroup = 32
    /// Input channels per pass over a group's row blocks (their padded planes stay in L1).
    static let channelsPerPass = 2

    /// True for the geometries these kernels handle (the rest go to `SmallOutputConv`).
    static func applies(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && g.outChannels == 1 && g.kernelHeight == kernel && g.kernelWidth == kernel
            && g.outWidth <= lanes && g.padding <= dataColumn && dataColumn + g.width <= rowStride
    }

    /// Copies `count` floats as vectors; a ragged end is one more vector ending at `count`
    /// (overlapping the previous one), not single floats: the copy is a third of D out's
    /// forward pass otherwise. Rows of 25 to 32 floats (D out's 31) are four unrolled vectors.
    @inline(__always)
    static func copy(_ src: UnsafeMutablePointer<Float>, count: Int, to dst: UnsafeMutablePointer<Float>) {
        if count > 24 && count <= 32 {
            store8(load8(src), dst)
            store8(load8(src + 8), dst + 8)
            store8(load8(src + 16), dst + 16)
            store8(load8(src + (count &- 8)), dst + (count &- 8))
            return
        }
        guard count >= 8 else {
            for j in 0..<count { dst[j] = src[j] }
            return
        }
        var j = 0
        while j &+ 8 <= count { store8(load8(src + j), dst + j); j &+= 8 }
        if j < count { store8(load8(src + (count &- 8)), dst + (count &- 8)) }
    }

    /// Columns of a padded row the kernels read: `lanes - 1 + kernel - 1` and below.
    static let readColumns = lanes + kernel - 1

    /// Local column of input column 0: one vector right of the row start, so the copied rows
    /// are 64-byte aligned (misaligned row stores made the copy twice as slow).
    static let dataColumn = 8

    /// Local column of padded column 0, where the kernels start reading.
    static func origin(_ g: ConvGeometry) -> Int { dataColumn - g.padding }

    /// Copies channels `channels` of sample planes `x` (`[C, H, W]`) into local planes of `rows`
    /// rows of `rowStride` floats: local row r is input row `r - padding`, input column j at
    /// local column `dataColumn + j`. With `borders` it also writes the zeros the kernels read
    /// around the input (rows outside x, columns left and right of it) in the same pass; a
    /// buffer reused for more channels keeps them, so later copies write the input only.
    static func copyPlanes(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, channels: Range<Int>, rows: Int, borders: Bool,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let zero = SIMD8<Float>()
        let width = g.width, planeSize = g.height * g.width
        let right = dataColumn + width, end = origin(g) + readColumns
        for (index, c) in channels.enumerated() {
            var src = x + c * planeSize
            let plane = dst + index * rows * rowStride
            for r in 0..<rows {
                let row = plane + r * rowStride
                guard r >= g.padding && r < g.padding + g.height else {
                    if borders { row.update(repeating: 0, count: rowStride) }
                    continue
                }
                if borders { store8(zero, row) }
                copy(src, count: width, to: row + dataColumn)
                if borders { for j in right..<Swift.max(right, end) { row[j] = 0 } }
                src += width
            }
        }
    }

    // MARK: Forward

    /// `y = conv(x, w) + bias` for `applies(g)`; y `[N, 1, OH, OW]` is overwritten.
    static func forward(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
        bias: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>
    ) {
        let blocks = (g.outHeight + blockRows - 1) / blockRows
        let groups = (g.channels + channelGroup - 1) / channelGroup
        let rows = blocks * blockRows
        // Padded rows per channel: every block reads blockRows + kernel - 1 from its first row.
        let paddedRows = rows + kernel - 1
        let planeFloats = paddedRows * rowStride
        let tasks = g.batch * groups
        let partialCount = tasks * rows * lanes
        ScratchPool.with(count: partialCount + tasks * channelsPerPass * planeFloats) { scratch in
            let xs = SharedPointer(x), ws = SharedPointer(weight), partials = SharedPointer(scratch)
            let planes = SharedPointer(scratch + partialCount)
            ThreadPool.shared.parallelFor(tasks) { task in
                let group = task % groups, n = task / groups
                let first = group * channelGroup
                let channels = first..<Swift.min(g.channels, first + channelGroup)
                let local = planes.base + task * channelsPerPass * planeFloats
                // A few channels at a time: their padded planes (a small buffer, in L1) serve every
                // block; the accumulators go through the task's partial rows between passes.
                for c0 in stride(from: channels.lowerBound, to: channels.upperBound, by: channelsPerPass) {
                    let pass = c0..<Swift.min(channels.upperBound, c0 + channelsPerPass)
                    copyPlanes(g, x: xs.base + n * g.inputSize, channels: pass, rows: paddedRows, borders: c0 == first, into: local)
                    for block in 0..<blocks {
                        forwardTile(local: local + origin(g) + block * blockRows * rowStride, planeFloats: planeFloats,
                                    weight: ws.base, channels: pass, continuing: c0 != first,
                                    into: partials.base + (task * rows + block * blockRows) * lanes)
                    }
                }
            }
            // The groups in a fixed order; the bias once, to the finished sum.
            let b = bias?[0]
            for n in 0..<g.batch {
                for oh in 0..<g.outHeight {
                    let dst = y + (n * g.outHeight + oh) * g.outWidth
                    let src = scratch + (n * groups * rows + oh) * lanes
                    // 8 pixels at a time (this runs on one thread): the same sums in the same order.
                    for ow in stride(from: 0, to: g.outWidth, by: 8) {
                        var total = load8(src + ow)
                        for group in 1..<Swift.max(groups, 1) { total += load8(src + group * rows * lanes + ow) }
                        if let b { total += SIMD8(repeating: b) }
                        if ow + 8 <= g.outWidth {
                            store8(total, dst + ow)
                        } else {
                            for j in 0..<(g.outWidth - ow) { dst[ow + j] = total[j] }
                        }
                    }
                }
            }
        }
    }

    /// `blockRows` output rows summed over `channels`, from padded planes `planeFloats` apart
    /// whose row 0 is the block's first padded input row, written as `blockRows x lanes` floats
    /// to `out`, or added to what `out` holds when `continuing` (rows and pixels past the output
    /// are junk).
    static func forwardTile(
        local: UnsafeMutablePointer<Float>, planeFloats: Int, weight: UnsafeMutablePointer<Float>,
        channels: Range<Int>, continuing: Bool, into out: UnsafeMutablePointer<Float>
    ) {
        @inline(__always) func start(_ offset: Int) -> SIMD8<Float> { continuing ? load8(out + offset) : SIMD8<Float>() }
        var a00 = start(0), a01 = start(8), a02 = start(16), a03 = start(24)
        var a10 = start(lanes), a11 = start(lanes + 8), a12 = start(lanes + 16), a13 = start(lanes + 24)
        var plane = local
        for c in channels {
            let w = weight + c * kernel * kernel
            let rows = plane
            /// Input row r, kernel column kw: output row i takes it with kernel row r - i.
            @inline(__always) func step(_ r: Int, _ kw: Int) {
                let p = rows + r * rowStride + kw
                let use0 = r < 4, use1 = r >= 1
                let w0 = SIMD8<Float>(repeating: use0 ? w[r * 4 + kw] : 0)
                let w1 = SIMD8<Float>(repeating: use1 ? w[(r - 1) * 4 + kw] : 0)
                var v = load8(p)
                if use0 { a00 = a00.addingProduct(w0, v) }
                if use1 { a10 = a10.addingProduct(w1, v) }
                v = load8(p + 8)
                if use0 { a01 = a01.addingProduct(w0, v) }
                if use1 { a11 = a11.addingProduct(w1, v) }
                v = load8(p + 16)
                if use0 { a02 = a02.addingProduct(w0, v) }
                if use1 { a12 = a12.addingProduct(w1, v) }
                v = load8(p + 24)
                if use0 { a03 = a03.addingProduct(w0, v) }
                if use1 { a13 = a13.addingProduct(w1, v) }
            }
            for kw in 0..<kernel {
                step(0, kw); step(1, kw); step(2, kw); step(3, kw); step(4, kw)
            }
            plane += planeFloats
        }
        store8(a00, out); store8(a01, out + 8); store8(a02, out + 16); store8(a03, out + 24)
        store8(a10, out + lanes); store8(a11, out + lanes + 8); store8(a12, out + lanes + 16); store8(a13, out + lanes + 24)
    }

    // MARK: Weight gradient

    /// `dW (+)= sum_n dy[n] * x[n]` (correlation) for `applies(g)`; dW `[1, C, 4, 4]`.
    static func backwardWeight(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        // dy rows zero-extended to `lanes` pixels, plus kernel - 1 zero rows below (the rows a
        // kernel row reads past the last output row).
        let dyRows = g.outHeight + kernel - 1
        let dyPlane = dyRows * lanes
        // Padded input rows read: output rows + kernel - 1 (= height + 2 * padding).
        let inputRows = g.outHeight + kernel - 1
        let tasks = Swift.min(g.channels, 64)
        let planeFloats = inputRows * rowStride
        ScratchPool.with(count: g.batch * dyPlane + tasks * planeFloats) { scratch in
            scratch.initialize(repeating: 0, count: g.batch * dyPlane)
            for n in 0..<g.batch {
                for oh in 0..<g.outHeight {
                    (scratch + n * dyPlane + oh * lanes).update(from: dy + (n * g.outHeight + oh) * g.outWidth, count: g.outWidth)
                }
            }
            let xs = SharedPointer(x), gradients = SharedPointer(scratch), dws = SharedPointer(dWeight)
            let locals = SharedPointer(scratch + g.batch * dyPlane)
            // Each weight is summed by one task in a fixed order: any split over channels works.
            ThreadPool.shared.parallelFor(tasks) { task in
                let local = locals.base + task * planeFloats
                let channels = (task * g.channels / tasks)..<((task + 1) * g.channels / tasks)
                for n in 0..<g.batch {
                    // One channel's padded plane at a time, summed while it is in L1.
                    for c in channels {
                        copyPlanes(g, x: xs.base + n * g.inputSize, channels: c..<(c + 1), rows: inputRows,
                                   borders: n == 0 && c == channels.lowerBound, into: local)
                        weightChannel(local: local + origin(g), dy: gradients.base + n * dyPlane, inputRows: inputRows,
                                      into: dws.base + c * kernel * kernel, accumulate: accumulate || n > 0)
                    }
                }
            }
        }
    }

    /// The 16 weights of one channel from its padded plane `local` and one sample's dy
    /// (`lanes`-wide rows, zero past the output), stored to `dw` or added to it.
    static func weightChannel(
        local: UnsafeMutablePointer<Float>, dy d: UnsafeMutablePointer<Float>, inputRows: Int,
        into dw: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        @inline(__always) func put(_ i: Int, _ a: SIMD8<Float>) {
            let total = a.sum()
            dw[i] = accumulate ? dw[i] + total : total
        }
        for kw0 in stride(from: 0, to: kernel, by: 2) {
            // a<kh><j>: kernel row kh, kernel column kw0 + j.
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
            for v in stride(from: 0, to: lanes, by: 8) {
                // d<k> = dy row r - k (zero above the first row).
                var d0 = SIMD8<Float>(), d1 = SIMD8<Float>(), d2 = SIMD8<Float>(), d3 = SIMD8<Float>()
                for r in 0..<inputRows {
                    d3 = d2; d2 = d1; d1 = d0
                    d0 = load8(d + r * lanes + v)
                    let p = local + r * rowStride + v + kw0
                    let x0 = load8(p), x1 = load8(p + 1)
                    a00 = a00.addingProduct(d0, x0); a01 = a01.addingProduct(d0, x1)
                    a10 = a10.addingProduct(d1, x0); a11 = a11.addingProduct(d1, x1)
                    a20 = a20.addingProduct(d2, x0); a21 = a21.addingProduct(d2, x1)
                    a30 = a30.addingProduct(d3, x0); a31 = a31.addingProduct(d3, x1)
                }
            }
            put(kw0, a00); put(kw0 + 1, a01); put(4 + kw0, a10); put(4 + kw0 + 1, a11)
            put(8 + kw0, a20); put(8 + kw0 + 1, a21); put(12 + kw0, a30); put(12 + kw0 + 1, a31)
        }
    }
}

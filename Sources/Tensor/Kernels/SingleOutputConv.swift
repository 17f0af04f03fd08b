/// Stride-1 convolutions with one output channel, a 4x4 kernel and output rows of at most 32
/// pixels: PatchGAN's last layer (512 -> 1, 4x4, pad 1, 32x32 -> 31x31). A whole output row is
/// 4 SIMD8 vectors, so the kernels keep several rows in registers and reuse every loaded input
/// vector across the kernel rows that need it:
/// - forward: 3 output rows x 4 vectors = 12 accumulators; each input row vector (one load)
///   feeds up to 3 output rows (kernel rows r - i).
/// - weight gradient: 4 kernel rows x 2 kernel columns = 8 accumulators; the 4 dy rows a kernel
///   row pairs with rotate through registers, so each input row costs 1 dy load + 2 input loads
///   for 8 multiply-adds.
/// Zero padding is built per channel in a small local buffer (hot in L1), not by a separate
/// pass over x. Results do not depend on the thread count: the forward pass sums fixed channel
/// groups in a fixed order; every weight gradient is summed by one task in a fixed order.
enum SingleOutputConv {
    /// Kernel height and width.
    static let kernel = 4
    /// Output pixels per row held in registers (4 SIMD8 vectors).
    static let lanes = 32
    /// Floats per local padded input row: reads reach column `lanes - 1 + kernel - 1` = 34; 48
    /// floats keep rows 64-byte aligned.
    static let rowStride = 48
    /// Output rows per forward register tile.
    static let blockRows = 3
    /// Input channels per forward task (fixed, so the summation order is too).
    static let channelGroup = 128

    /// True for the geometries these kernels handle (the rest go to `SmallOutputConv`).
    static func applies(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && g.outChannels == 1 && g.kernelHeight == kernel && g.kernelWidth == kernel
            && g.outWidth <= lanes && g.padding + g.width <= rowStride
    }

    @inline(__always)
    static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Copies `count` floats (vectors, then single floats).
    @inline(__always)
    static func copy(_ src: UnsafeMutablePointer<Float>, count: Int, to dst: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= count { store8(load8(src + j), dst + j); j += 8 }
        while j < count { dst[j] = src[j]; j += 1 }
    }

    /// Runs `body` with a zeroed, 32-byte aligned local buffer of `rows x rowStride` floats.
    @inline(__always)
    static func withLocalRows<R>(_ rows: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: rows * rowStride / 8) { buffer in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!).bindMemory(to: Float.self, capacity: rows * rowStride)
            base.initialize(repeating: 0, count: rows * rowStride)
            return body(base)
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
        ScratchPool.with(count: g.batch * groups * rows * lanes) { scratch in
            let xs = SharedPointer(x), ws = SharedPointer(weight), partials = SharedPointer(scratch)
            ThreadPool.shared.parallelFor(g.batch * groups * blocks) { task in
                let block = task % blocks, rest = task / blocks
                let group = rest % groups, n = rest / groups
                let first = group * channelGroup
                forwardTile(g, x: xs.base + n * g.inputSize, weight: ws.base,
                            channels: first..<Swift.min(g.channels, first + channelGroup), firstRow: block * blockRows,
                            into: partials.base + ((n * groups + group) * rows + block * blockRows) * lanes)
            }
            // The groups in a fixed order; the bias once, to the finished sum.
            let b = bias?[0]
            for n in 0..<g.batch {
                for oh in 0..<g.outHeight {
                    let dst = y + (n * g.outHeight + oh) * g.outWidth
                    let src = scratch + (n * groups * rows + oh) * lanes
                    for ow in 0..<g.outWidth {
                        var total = src[ow]
                        for group in 1..<Swift.max(groups, 1) { total += src[group * rows * lanes + ow] }
                        dst[ow] = b.map { total + $0 } ?? total
                    }
                }
            }
        }
    }

    /// Output rows `firstRow ..< firstRow + blockRows` of one sample summed over `channels`,
    /// written as `blockRows x lanes` floats to `out` (rows and pixels past the output are junk).
    static func forwardTile(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
        channels: Range<Int>, firstRow oh0: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let inputRows = blockRows + kernel - 1
        withLocalRows(inputRows) { local in
            // Local row r is padded input row oh0 + r; rows outside x stay zero.
            let firstValid = Swift.max(0, g.padding - oh0)
            let endValid = Swift.min(inputRows, g.height + g.padding - oh0)
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
            var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a22 = SIMD8<Float>(), a23 = SIMD8<Float>()
            for c in channels {
                let plane = x + c * g.height * g.width
                if firstValid < endValid {
                    for r in firstValid..<endValid {
                        copy(plane + (oh0 + r - g.padding) * g.width, count: g.width, to: local + r * rowStride + g.padding)
                    }
                }
                let w = weight + c * kernel * kernel
                /// Input row r, kernel column kw: output row i takes it with kernel row r - i.
                @inline(__always) func step(_ r: Int, _ kw: Int) {
                    let p = local + r * rowStride + kw
                    let use0 = r < 4, use1 = r >= 1 && r < 5, use2 = r >= 2
                    let w0 = SIMD8<Float>(repeating: use0 ? w[r * 4 + kw] : 0)
                    let w1 = SIMD8<Float>(repeating: use1 ? w[(r - 1) * 4 + kw] : 0)
                    let w2 = SIMD8<Float>(repeating: use2 ? w[(r - 2) * 4 + kw] : 0)
                    var v = load8(p)
                    if use0 { a00 = a00.addingProduct(w0, v) }
                    if use1 { a10 = a10.addingProduct(w1, v) }
                    if use2 { a20 = a20.addingProduct(w2, v) }
                    v = load8(p + 8)
                    if use0 { a01 = a01.addingProduct(w0, v) }
                    if use1 { a11 = a11.addingProduct(w1, v) }
                    if use2 { a21 = a21.addingProduct(w2, v) }
                    v = load8(p + 16)
                    if use0 { a02 = a02.addingProduct(w0, v) }
                    if use1 { a12 = a12.addingProduct(w1, v) }
                    if use2 { a22 = a22.addingProduct(w2, v) }
                    v = load8(p + 24)
                    if use0 { a03 = a03.addingProduct(w0, v) }
                    if use1 { a13 = a13.addingProduct(w1, v) }
                    if use2 { a23 = a23.addingProduct(w2, v) }
                }
                for kw in 0..<kernel {
                    step(0, kw); step(1, kw); step(2, kw); step(3, kw); step(4, kw); step(5, kw)
                }
            }
            store8(a00, out); store8(a01, out + 8); store8(a02, out + 16); store8(a03, out + 24)
            store8(a10, out + lanes); store8(a11, out + lanes + 8); store8(a12, out + lanes + 16); store8(a13, out + lanes + 24)
            store8(a20, out + 2 * lanes); store8(a21, out + 2 * lanes + 8)
            store8(a22, out + 2 * lanes + 16); store8(a23, out + 2 * lanes + 24)
        }
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
        ScratchPool.with(count: g.batch * dyPlane + tasks * inputRows * rowStride) { scratch in
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
                let local = locals.base + task * inputRows * rowStride
                local.initialize(repeating: 0, count: inputRows * rowStride)
                let c0 = task * g.channels / tasks, c1 = (task + 1) * g.channels / tasks
                for c in c0..<c1 {
                    weightChannel(g, c, x: xs.base, dy: gradients.base, dyPlane: dyPlane, local: local, inputRows: inputRows,
                                  into: dws.base + c * kernel * kernel, accumulate: accumulate)
                }
            }
        }
    }

    /// The 16 weights of input channel `c`, summed over the batch.
    static func weightChannel(
        _ g: ConvGeometry, _ c: Int, x: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>, dyPlane: Int,
        local: UnsafeMutablePointer<Float>, inputRows: Int, into dw: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        var totals = SIMD16<Float>()
        for n in 0..<g.batch {
            // The padded plane of channel c (borders stay zero from the task's start).
            let plane = x + (n * g.channels + c) * g.height * g.width
            for row in 0..<g.height {
                copy(plane + row * g.width, count: g.width, to: local + (row + g.padding) * rowStride + g.padding)
            }
            let d = dy + n * dyPlane
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
                totals[kw0] += a00.sum(); totals[kw0 + 1] += a01.sum()
                totals[4 + kw0] += a10.sum(); totals[4 + kw0 + 1] += a11.sum()
                totals[8 + kw0] += a20.sum(); totals[8 + kw0 + 1] += a21.sum()
                totals[12 + kw0] += a30.sum(); totals[12 + kw0 + 1] += a31.sum()
            }
        }
        for i in 0..<(kernel * kernel) { dw[i] = accumulate ? dw[i] + totals[i] : totals[i] }
    }
}

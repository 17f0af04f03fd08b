/// The three convolution passes as GEMMs over implicit im2col matrices. Per sample n, with
/// `P = outHeight*outWidth`, `K = channels*kernelHeight*kernelWidth`, W seen as `[O, K]`:
/// - forward:       `y[n] (O x P) = W (O x K) · col(x[n]) (K x P)` (+ bias)
/// - input grad:    `dx[n] = col2im(W^T (K x O) · dy[n] (O x P))`, in column chunks
/// - weight grad:   `dW (O x K) += dy[n] (O x P) · col(x[n])^T (P x K)`, or its transpose when
///                  that puts the larger dimensions in the GEMM's M and N.
/// A transposed convolution runs the same passes with forward and input grad swapped.
///
/// Special cases: stride-1 3x3 layers with enough channels (the residual blocks) run all three
/// passes on `Winograd` F(4x4, 3x3); stride-1 layers with at most 3 output channels go to `SmallOutputConv`; the
/// input grad of a stride-1 layer is itself a stride-1 convolution of dy with the flipped,
/// transposed kernel (no col2im); stride > 1 runs forward (and the input grad, unless the input
/// has few channels) over stride phases (`StridedConv`); a short patch's weight grad at stride 1
/// is a direct dot-product kernel (`DirectWeightGrad`). The remaining input grads use GEMM +
/// `Col2Im` in chunks of output rows.
enum ConvKernels {
    /// Floats of column buffer the input-grad pass (GEMM + col2im) works through at a time.
    static let columnChunkFloats = 1 << 19

    /// `y = conv(x, w) + bias`; y `[N, O, OH, OW]` is overwritten. `winograd: false` keeps a
    /// layer `Winograd` would take on the GEMM (for benchmarks and accuracy comparisons).
    static func forward(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
        bias: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>, winograd: Bool = true
    ) {
        if SmallOutputConv.applies(g) {
            SmallOutputConv.forward(g, x: x, weight: weight, bias: bias, y: y)
            return
        }
        if g.stride > 1 {
            StridedConv.forward(g, x: x, weight: weight, bias: bias, y: y)
            return
        }
        if winograd, Winograd.applies(g) {
            Winograd.forward(g, x: x, weight: weight, kernels: .direct, bias: bias, y: y)
            return
        }
        forwardGEMM(g, x: x, weights: DenseMatrix(base: weight, rowStride: g.patch, columnStride: 1), bias: bias, y: y)
    }

    /// The stride-1 forward as one GEMM per sample over the implicit im2col of x: `y[n] (O x P) =
    /// weights (O x K) · col(x[n]) (K x P)` (+ bias), for any source of the weight matrix.
    static func forwardGEMM<W: MatrixSource>(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, weights w: W,
        bias: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>
    ) {
        let xs = SharedPointer(x), ys = SharedPointer(y)
        // The bias is each output row's start value inside the GEMM (no separate pass over y).
        let start: GEMM.Start = bias.map { .rows(SharedPointer($0)) } ?? .zero
        GEMM.multiplyBatched(
            batch: g.batch, m: g.outChannels, n: g.pixels, k: g.patch,
            a: { _ in w },
            b: { n in Im2ColMatrix(image: xs.base + n * g.inputSize, geometry: g) },
            c: { n in ys.base + n * g.outputSize },
            ldc: g.pixels, start: { _ in start })
    }

    /// `dx = conv^T(dy, w)`: the gradient of `forward` with respect to x; dx `[N, C, H, W]` is
    /// overwritten (also the forward pass of a transposed convolution).
    static func backwardData(
        _ g: ConvGeometry, dy: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>, winograd: Bool = true
    ) {
        if let flipped = flippedGeometry(g) {
            // dx[c, i, j] = sum_{o, a, b} dy[o, i + a - p', j + b - p'] * w[o, c, K-1-a, K-1-b], p' = K-1-p.
            if winograd, Winograd.applies(flipped) {
                Winograd.forward(flipped, x: dy, weight: weight, kernels: .flippedTransposed, bias: nil, y: dx)
                return
            }
            // The GEMM reads the weight flipped while packing it (no flipped copy is made).
            forwardGEMM(flipped, x: dy, weights: KernelTapsMatrix.flipped(weight: weight, channels: g.channels, area: g.kernelHeight * g.kernelWidth),
                        bias: nil, y: dx)
            return
        }
        if StridedConv.phasesForInputGrad(g) {
            StridedConv.backwardData(g, dy: dy, weight: weight, dx: dx)
            return
        }
        dx.update(repeating: 0, count: g.batch * g.inputSize)
        // Chunks of whole output rows (a column block of about 2 MB), each scattered while still in cache.
        let chunkRows = Swift.min(g.outHeight, Swift.max(1, columnChunkFloats / Swift.max(g.patch * g.outWidth, 1)))
        let chunk = chunkRows * g.outWidth
        let wT = DenseMatrix(base: weight, rowStride: 1, columnStride: g.patch)
        let pool = ThreadPool.shared
        ScratchPool.with(count: g.patch * chunk) { columns in
            for n in 0..<g.batch {
                var row = 0
                while row < g.outHeight {
                    let rows = Swift.min(chunkRows, g.outHeight - row)
                    let width = rows * g.outWidth
                    let gradient = DenseMatrix(base: dy + n * g.outputSize + row * g.outWidth, rowStride: g.pixels, columnStride: 1)
                    GEMM.multiply(m: g.patch, n: width, k: g.outChannels, a: wT, b: gradient, c: columns, ldc: width, accumulate: false, pool: pool)
                    Col2Im.accumulate(g, columns: columns, firstRow: row, rowCount: rows, into: dx + n * g.inputSize, pool: pool)
                    row += rows
                }
            }
        }
    }

    /// The stride-1 convolution that computes the input grad of `g` (nil when that needs a
    /// crop, i.e. padding >= kernel size, or the kernel is not square, or when it would have so few
    /// output channels (the layer's input channels, e.g. RGB) that GEMM + col2im is faster).
    static func flippedGeometry(_ g: ConvGeometry) -> ConvGeometry? {
        guard g.stride == 1, g.kernelHeight == g.kernelWidth, g.padding <= g.kernelHeight - 1,
              g.channels > SmallOutputConv.maxOutputs else { return nil }
        return ConvGeometry(
            batch: g.batch, channels: g.outChannels, height: g.outHeight, width: g.outWidth, outChannels: g.channels,
            kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, stride: 1, padding: g.kernelHeight - 1 - g.padding,
            outHeight: g.height, outWidth: g.width)
    }

    /// `dW (+)= sum_n dy[n] · col(x[n])^T`; dW `[O, C, KH, KW]`, overwritten unless `accumulate`.
    static func backwardWeight(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, accumulate: Bool, winograd: Bool = true
    ) {
        if SmallOutputConv.applies(g) {
            SmallOutputConv.backwardWeight(g, x: x, dy: dy, dWeight: dWeight, accumulate: accumulate)
            return
        }
        if winograd, Winograd.appliesToWeightGrad(g) {
            Winograd.backwardWeight(g, x: x, dy: dy, dWeight: dWeight, accumulate: accumulate)
            return
        }
        if DirectWeightGrad.applies(g) {
            DirectWeightGrad.run(
                g, col: { n in Im2ColMatrix(image: x + n * g.inputSize, geometry: g) }, dy: dy, dWeight: dWeight,
                accumulate: accumulate, pool: ThreadPool.shared)
            return
        }
        let xs = SharedPointer(x), dys = SharedPointer(dy), dws = SharedPointer(dWeight)
        // Cost of a GEMM tile grid: rows cost what they are (small-row kernels), columns are
        // padded to whole 16-wide vectors.
        func cost(_ m: Int, _ n: Int) -> Int { Swift.max(m, 2) * ((n + GEMM.nr - 1) / GEMM.nr * GEMM.nr) }
        if cost(g.outChannels, g.patch) <= cost(g.patch, g.outChannels) {
            GEMM.multiplyBatched(
                batch: g.batch, m: g.outChannels, n: g.patch, k: g.pixels,
                a: { n in DenseMatrix(base: dys.base + n * g.outputSize, rowStride: g.pixels, columnStride: 1) },
                b: { n in TransposedMatrix(base: Im2ColMatrix(image: xs.base + n * g.inputSize, geometry: g)) },
                c: { _ in dws.base }, ldc: g.patch, accumulate: { n in accumulate || n > 0 })
        } else {
            ScratchPool.with(count: g.weightCount) { transposed in
                let ts = SharedPointer(transposed)
                GEMM.multiplyBatched(
                    batch: g.batch, m: g.patch, n: g.outChannels, k: g.pixels,
                    a: { n in Im2ColMatrix(image: xs.base + n * g.inputSize, geometry: g) },
                    b: { n in DenseMatrix(base: dys.base + n * g.outputSize, rowStride: 1, columnStride: g.pixels) },
                    c: { _ in ts.base }, ldc: g.outChannels, accumulate: { n in n > 0 })
                for o in 0..<g.outChannels {
                    let row = dWeight + o * g.patch
                    if accumulate {
                        for k in 0..<g.patch { row[k] += transposed[k * g.outChannels + o] }
                    } else {
                        for k in 0..<g.patch { row[k] = transposed[k * g.outChannels + o] }
                    }
                }
            }
        }
    }

    /// `db[o] = sum over n and pixels of dy[n, o, :]`, summed in Double.
    static func biasGradient(dy: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int, into db: UnsafeMutablePointer<Float>) {
        let dys = SharedPointer(dy), out = SharedPointer(db)
        ThreadPool.shared.parallelFor(channels) { o in
            var total = 0.0
            for n in 0..<batch {
                total += Elementwise.sumDouble(dys.base + (n * channels + o) * plane, count: plane)
            }
            out.base[o] = Float(total)
        }
    }

    /// `y[n, c, :] += value[c]`.
    static func addChannels(_ y: UnsafeMutablePointer<Float>, value: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int) {
        let ys = SharedPointer(y), vs = SharedPointer(value)
        ThreadPool.shared.parallelFor(batch * channels) { index in
            let v = vs.base[index % channels]
            let p = ys.base + index * plane
            for i in 0..<plane { p[i] += v }
        }
    }
}

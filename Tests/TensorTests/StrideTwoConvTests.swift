import Testing
@testable import Tensor

/// The stride-phase convolution kernels (`StridedConv`, `ShiftedIm2ColMatrix`), GEMM + `Col2Im`
/// input grads (few input channels, any stride), `DirectWeightGrad` (short patches at stride 1)
/// and the row-split GEMM with B packed once, checked against float64 loops written from the
/// definitions.
@Suite struct StrideTwoConvTests {
    struct Case: CustomStringConvertible, Sendable {
        var batch = 1, channels: Int, height: Int, width: Int, outChannels: Int
        var kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
        var description: String {
            "\(batch)x\(channels)x\(height)x\(width) -> \(outChannels), \(kernelHeight)x\(kernelWidth) s\(stride) p\(padding)"
        }
        var geometry: ConvGeometry {
            ConvGeometry(
                batch: batch, channels: channels, height: height, width: width, outChannels: outChannels,
                kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding,
                outHeight: (height + 2 * padding - kernelHeight) / stride + 1,
                outWidth: (width + 2 * padding - kernelWidth) / stride + 1)
        }
    }

    static let cases: [Case] = [
        Case(channels: 3, height: 9, width: 11, outChannels: 5, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
        Case(batch: 2, channels: 4, height: 10, width: 7, outChannels: 7, kernelHeight: 4, kernelWidth: 4, stride: 2, padding: 1),
        Case(channels: 3, height: 34, width: 33, outChannels: 16, kernelHeight: 4, kernelWidth: 4, stride: 2, padding: 1),
        Case(channels: 5, height: 13, width: 12, outChannels: 3, kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 0),
        Case(channels: 2, height: 11, width: 14, outChannels: 6, kernelHeight: 5, kernelWidth: 3, stride: 3, padding: 2),
        Case(channels: 3, height: 8, width: 8, outChannels: 4, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0),
        Case(channels: 2, height: 9, width: 9, outChannels: 3, kernelHeight: 2, kernelWidth: 2, stride: 3, padding: 0),
        Case(channels: 20, height: 40, width: 38, outChannels: 24, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
        Case(channels: 3, height: 6, width: 6, outChannels: 2, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 2),
        // A larger odd-sized layer: several GEMM blocks and threads.
        Case(channels: 16, height: 262, width: 258, outChannels: 4, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
        // Stride 1, few input channels: GEMM + col2im input grad, direct weight grad.
        Case(channels: 3, height: 15, width: 13, outChannels: 10, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2),
        Case(batch: 2, channels: 2, height: 7, width: 9, outChannels: 13, kernelHeight: 3, kernelWidth: 4, stride: 1, padding: 0),
        Case(batch: 2, channels: 3, height: 40, width: 37, outChannels: 20, kernelHeight: 7, kernelWidth: 7, stride: 1, padding: 0),
    ]

    /// `y[n, o, i, j] = b[o] + sum x[n, c, i*s - p + kh, j*s - p + kw] * w[o, c, kh, kw]`.
    static func naiveForward(_ g: ConvGeometry, _ x: [Float], _ w: [Float], _ bias: [Float]?) -> [Double] {
        var y = [Double](repeating: 0, count: g.batch * g.outputSize)
        for n in 0..<g.batch { for o in 0..<g.outChannels { for i in 0..<g.outHeight { for j in 0..<g.outWidth {
            var sum = 0.0
            for c in 0..<g.channels { for kh in 0..<g.kernelHeight { for kw in 0..<g.kernelWidth {
                let ih = i * g.stride - g.padding + kh, iw = j * g.stride - g.padding + kw
                guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                sum += Double(x[((n * g.channels + c) * g.height + ih) * g.width + iw])
                    * Double(w[((o * g.channels + c) * g.kernelHeight + kh) * g.kernelWidth + kw])
            } } }
            y[((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j] = sum + Double(bias?[o] ?? 0)
        } } } }
        return y
    }

    /// The adjoint of `naiveForward` in x (scatter form) and in w.
    static func naiveBackward(_ g: ConvGeometry, _ x: [Float], _ w: [Float], _ dy: [Float]) -> (dx: [Double], dw: [Double]) {
        var dx = [Double](repeating: 0, count: g.batch * g.inputSize)
        var dw = [Double](repeating: 0, count: g.weightCount)
        for n in 0..<g.batch { for o in 0..<g.outChannels { for i in 0..<g.outHeight { for j in 0..<g.outWidth {
            let d = Double(dy[((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j])
            for c in 0..<g.channels { for kh in 0..<g.kernelHeight { for kw in 0..<g.kernelWidth {
                let ih = i * g.stride - g.padding + kh, iw = j * g.stride - g.padding + kw
                guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                let xi = ((n * g.channels + c) * g.height + ih) * g.width + iw
                let wi = ((o * g.channels + c) * g.kernelHeight + kh) * g.kernelWidth + kw
                dx[xi] += d * Double(w[wi])
                dw[wi] += d * Double(x[xi])
            } } }
        } } } }
        return (dx, dw)
    }

    @Test("strided forward, input grad and weight grad match float64 loops", arguments: cases)
    func stridedPassesMatchReference(_ t: Case) {
        let g = t.geometry
        var x = randomValues(g.batch * g.inputSize, seed: 11)
        var w = randomValues(g.weightCount, seed: 12)
        var bias = randomValues(g.outChannels, seed: 13)
        var dy = randomValues(g.batch * g.outputSize, seed: 14)
        var y = [Float](repeating: .nan, count: g.batch * g.outputSize)
        var dx = [Float](repeating: .nan, count: g.batch * g.inputSize)
        var dw = [Float](repeating: .nan, count: g.weightCount)
        x.withUnsafeMutableBufferPointer { xp in
            w.withUnsafeMutableBufferPointer { wp in
                bias.withUnsafeMutableBufferPointer { bp in
                    dy.withUnsafeMutableBufferPointer { dyp in
                        y.withUnsafeMutableBufferPointer { yp in
                            ConvKernels.forward(g, x: xp.baseAddress!, weight: wp.baseAddress!, bias: bp.baseAddress!, y: yp.baseAddress!)
                        }
                        dx.withUnsafeMutableBufferPointer { dxp in
                            ConvKernels.backwardData(g, dy: dyp.baseAddress!, weight: wp.baseAddress!, dx: dxp.baseAddress!)
                        }
                        dw.withUnsafeMutableBufferPointer { dwp in
                            ConvKernels.backwardWeight(g, x: xp.baseAddress!, dy: dyp.baseAddress!, dWeight: dwp.baseAddress!, accumulate: false)
                        }
                    }
                }
            }
        }
        let (expectedDx, expectedDw) = Self.naiveBackward(g, x, w, dy)
        expectClose(y, Self.naiveForward(g, x, w, bias), "forward \(t)")
        expectClose(dx, expectedDx, "input grad \(t)")
        expectClose(dw, expectedDw, "weight grad \(t)")
    }

    @Test("the direct weight gradient adds to dW when accumulating")
    func directWeightGradAccumulates() {
        let g = Case(channels: 3, height: 12, width: 11, outChannels: 9, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1).geometry
        #expect(DirectWeightGrad.applies(g))
        var x = randomValues(g.batch * g.inputSize, seed: 31)
        var dy = randomValues(g.batch * g.outputSize, seed: 32)
        let start = randomValues(g.weightCount, seed: 33)
        var dw = start
        x.withUnsafeMutableBufferPointer { xp in
            dy.withUnsafeMutableBufferPointer { dyp in
                dw.withUnsafeMutableBufferPointer {
                    ConvKernels.backwardWeight(g, x: xp.baseAddress!, dy: dyp.baseAddress!, dWeight: $0.baseAddress!, accumulate: true)
                }
            }
        }
        let w = [Float](repeating: 0, count: g.weightCount)
        let expected = zip(Self.naiveBackward(g, x, w, dy).dw, start).map { $0 + Double($1) }
        expectClose(dw, expected, "accumulated weight grad")
    }

    @Test("the strided kernels give bit-identical results on 1 and 2 threads")
    func stridedResultsIgnoreThreadCount() {
        for t in [
            Case(batch: 2, channels: 24, height: 66, width: 64, outChannels: 40, kernelHeight: 4, kernelWidth: 4, stride: 2, padding: 1),
            Case(channels: 3, height: 70, width: 66, outChannels: 16, kernelHeight: 4, kernelWidth: 4, stride: 2, padding: 1),
            Case(channels: 3, height: 50, width: 47, outChannels: 14, kernelHeight: 7, kernelWidth: 7, stride: 1, padding: 0),
        ] {
            let (first, second) = Self.runOnThreads(t.geometry)
            #expect(first == second, "\(t)")
        }
    }

    /// Forward, input grad and weight grad on 1 thread, then on 2.
    static func runOnThreads(_ g: ConvGeometry) -> ([[Float]], [[Float]]) {
        var x = randomValues(g.batch * g.inputSize, seed: 21)
        var w = randomValues(g.weightCount, seed: 22)
        var dy = randomValues(g.batch * g.outputSize, seed: 23)
        func run(threads: Int) -> [[Float]] {
            let pool = ThreadPool.shared.threadCount
            ThreadPool.configure(threads: threads)
            defer { ThreadPool.configure(threads: pool) }
            var y = [Float](repeating: 0, count: g.batch * g.outputSize)
            var dx = [Float](repeating: 0, count: g.batch * g.inputSize)
            var dw = [Float](repeating: 0, count: g.weightCount)
            x.withUnsafeMutableBufferPointer { xp in
                w.withUnsafeMutableBufferPointer { wp in
                    dy.withUnsafeMutableBufferPointer { dyp in
                        y.withUnsafeMutableBufferPointer { ConvKernels.forward(g, x: xp.baseAddress!, weight: wp.baseAddress!, bias: nil, y: $0.baseAddress!) }
                        dx.withUnsafeMutableBufferPointer { ConvKernels.backwardData(g, dy: dyp.baseAddress!, weight: wp.baseAddress!, dx: $0.baseAddress!) }
                        dw.withUnsafeMutableBufferPointer {
                            ConvKernels.backwardWeight(g, x: xp.baseAddress!, dy: dyp.baseAddress!, dWeight: $0.baseAddress!, accumulate: false)
                        }
                    }
                }
            }
            return [y, dx, dw]
        }
        return (run(threads: 1), run(threads: 2))
    }

    @Test("a row-split GEMM with B packed once for all tasks matches float64 and 1 thread bitwise",
          arguments: [(600, 520, 900), (97, 40, 1000), (250, 33, 70)])
    func sharedPackedBRowSplit(_ size: (Int, Int, Int)) {
        let (m, n, k) = size
        #expect(GEMM.partition(m: m, n: n, k: 2 * k, threads: 2).allSatisfy { $0.1 == 0..<n }, "row split")
        var a = randomValues(2 * m * k, seed: 41), b = randomValues(2 * k * n, seed: 42)
        // Two items accumulated into the same C, B in a transposed view (column-wise packing).
        func run(threads: Int) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeMutableBufferPointer { pa in
                b.withUnsafeMutableBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        let (sa, sb, sc) = (SharedPointer(pa.baseAddress!), SharedPointer(pb.baseAddress!), SharedPointer(pc.baseAddress!))
                        GEMM.multiplyBatched(
                            batch: 2, m: m, n: n, k: k,
                            a: { DenseMatrix(base: sa.base + $0 * m * k, rowStride: k, columnStride: 1) },
                            b: { TransposedMatrix(base: DenseMatrix(base: sb.base + $0 * k * n, rowStride: k, columnStride: 1)) },
                            c: { _ in sc.base }, ldc: n, accumulate: { $0 > 0 }, pool: ThreadPool(threads: threads))
                    }
                }
            }
            return c
        }
        var expected = [Double](repeating: 0, count: m * n)
        for item in 0..<2 { for i in 0..<m { for p in 0..<k {
            let x = Double(a[item * m * k + i * k + p])
            for j in 0..<n { expected[i * n + j] += x * Double(b[item * k * n + j * k + p]) }
        } } }
        let two = run(threads: 2)
        expectClose(two, expected, tolerance: 1e-5, "row split \(size)")
        #expect(two == run(threads: 1), "bitwise \(size)")
    }

    @Test("the shifted im2col source copies rows and columns with zero outside the plane")
    func shiftedSourceRowsAndColumns() {
        var image = (0..<(2 * 5 * 6)).map { Float($0 + 1) }
        image.withUnsafeMutableBufferPointer { p in
            let source = ShiftedIm2ColMatrix(
                image: p.baseAddress!, channelStride: 30, height: 5, width: 6, outHeight: 4, outWidth: 7,
                offsetH: [0, 0], shiftH: [-1, 2], offsetW: [0, 0, 0], shiftW: [1, 0, -2])
            func expected(_ row: Int, _ column: Int) -> Float {
                let c = row / 6, th = (row % 6) / 3, tw = row % 3
                let ih = column / 7 + [-1, 2][th], iw = column % 7 + [1, 0, -2][tw]
                guard ih >= 0, ih < 5, iw >= 0, iw < 6 else { return 0 }
                return Float(c * 30 + ih * 6 + iw + 1)
            }
            var line = [Float](repeating: .nan, count: 2 * 28)
            line.withUnsafeMutableBufferPointer { out in
                for row in 0..<12 {
                    source.copyRow(row, columns: 3, count: 23, to: out.baseAddress!, stride: 2)
                    for t in 0..<23 { #expect(out[2 * t] == expected(row, 3 + t), "row \(row) column \(3 + t)") }
                }
                for column in [0, 6, 13, 27] {
                    source.copyColumn(column, rows: 1, count: 11, to: out.baseAddress!, stride: 1)
                    for t in 0..<11 { #expect(out[t] == expected(1 + t, column), "row \(1 + t) column \(column)") }
                }
            }
        }
    }
}

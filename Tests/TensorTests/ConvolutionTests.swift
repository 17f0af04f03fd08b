import Testing
@testable import Tensor

@Suite struct ConvolutionTests {
    struct ConvCase: CustomTestStringConvertible, Sendable {
        var input: [Int], weight: [Int], stride: Int, padding: Int, bias: Bool
        var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding)\(bias ? " bias" : "")" }
    }

    static let convCases: [ConvCase] = [
        ConvCase(input: [1, 3, 7, 6], weight: [4, 3, 3, 3], stride: 1, padding: 1, bias: true),
        ConvCase(input: [2, 2, 9, 7], weight: [3, 2, 3, 3], stride: 2, padding: 1, bias: true),
        ConvCase(input: [2, 5, 8, 8], weight: [7, 5, 4, 4], stride: 2, padding: 1, bias: false),
        ConvCase(input: [1, 3, 11, 10], weight: [2, 3, 7, 7], stride: 1, padding: 0, bias: true),
        ConvCase(input: [3, 4, 5, 5], weight: [1, 4, 4, 4], stride: 1, padding: 1, bias: true),
        ConvCase(input: [1, 1, 4, 5], weight: [17, 1, 2, 3], stride: 3, padding: 2, bias: true),
        // A patch of 400 > one 384-deep GEMM block: the bias must start only the first block.
        ConvCase(input: [1, 25, 4, 4], weight: [7, 25, 4, 4], stride: 1, padding: 1, bias: true),
        // Stride-1 layers with 1-3 output channels on rows wider than 32 (wide register tiles, tails).
        ConvCase(input: [1, 3, 4, 45], weight: [1, 3, 3, 3], stride: 1, padding: 1, bias: true),
        ConvCase(input: [2, 2, 5, 41], weight: [2, 2, 3, 3], stride: 1, padding: 0, bias: true),
        ConvCase(input: [1, 2, 6, 37], weight: [3, 2, 4, 4], stride: 1, padding: 2, bias: true),
        // Unpadded rows exactly one register tile wide: the forward pass reads x in place.
        ConvCase(input: [2, 2, 4, 34], weight: [3, 2, 3, 3], stride: 1, padding: 0, bias: true),
        ConvCase(input: [1, 2, 3, 26], weight: [1, 2, 3, 3], stride: 1, padding: 0, bias: false),
        // Stride 2 on rows wide enough for whole 16-pixel panels (vector im2col packing), with
        // panels that straddle output rows and a partial last panel.
        ConvCase(input: [1, 3, 6, 75], weight: [5, 3, 4, 4], stride: 2, padding: 1, bias: true),
    ]

    @Test("conv2d forward and gradients match a naive float64 convolution", arguments: convCases)
    func conv2dMatchesReference(_ t: ConvCase) throws {
        var operands = [Operand(TensorShape(t.input), seed: 1), Operand(TensorShape(t.weight), seed: 2)]
        if t.bias { operands.append(Operand([t.weight[0]], seed: 3)) }
        try checkOp("conv2d \(t.testDescription)", operands) { p in
            try conv2d(p[0], weight: p[1], bias: t.bias ? p[2] : nil, stride: t.stride, padding: t.padding)
        } reference: { v in
            Naive.conv2d(v[0], t.input, v[1], t.weight, t.bias ? v[2] : nil, stride: t.stride, padding: t.padding)
        }
    }

    struct TransposedCase: CustomTestStringConvertible, Sendable {
        var input: [Int], weight: [Int], stride: Int, padding: Int, outputPadding: Int, bias: Bool
        var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding) op\(outputPadding)" }
    }

    static let transposedCases: [TransposedCase] = [
        TransposedCase(input: [1, 4, 4, 5], weight: [4, 3, 3, 3], stride: 2, padding: 1, outputPadding: 1, bias: true),
        TransposedCase(input: [2, 3, 3, 3], weight: [3, 5, 3, 3], stride: 2, padding: 1, outputPadding: 0, bias: true),
        TransposedCase(input: [2, 2, 5, 4], weight: [2, 3, 3, 3], stride: 1, padding: 1, outputPadding: 0, bias: false),
        TransposedCase(input: [1, 3, 3, 4], weight: [3, 2, 4, 4], stride: 3, padding: 0, outputPadding: 2, bias: true),
    ]

    @Test("convTranspose2d forward and gradients match the scatter definition", arguments: transposedCases)
    func convTransposeMatchesReference(_ t: TransposedCase) throws {
        var operands = [Operand(TensorShape(t.input), seed: 4), Operand(TensorShape(t.weight), seed: 5)]
        if t.bias { operands.append(Operand([t.weight[1]], seed: 6)) }
        try checkOp("convTranspose2d \(t.testDescription)", operands) { p in
            try convTranspose2d(p[0], weight: p[1], bias: t.bias ? p[2] : nil, stride: t.stride, padding: t.padding, outputPadding: t.outputPadding)
        } reference: { v in
            Naive.convTranspose2d(v[0], t.input, v[1], t.weight, t.bias ? v[2] : nil, stride: t.stride, padding: t.padding, outputPadding: t.outputPadding)
        }
    }

    @Test("convolutions large enough to use several GEMM blocks and threads match the naive result")
    func largeConvolutionsMatchReference() throws {
        // 3 -> 20 channels, 7x7 on 40x37: patch 147 (> one 16-wide panel), 1480 pixels, two samples.
        let xs = [2, 3, 40, 37], ws = [20, 3, 7, 7]
        let x = randomValues(xs.reduce(1, *), seed: 11), w = randomValues(ws.reduce(1, *), seed: 12), b = randomValues(20, seed: 13)
        let y = try conv2d(Tensor(shape: TensorShape(xs), scalars: x), weight: Tensor(shape: TensorShape(ws), scalars: w),
                           bias: Tensor(shape: [20], scalars: b), stride: 1, padding: 3)
        let expected = Naive.conv2d(x.map(Double.init), xs, w.map(Double.init), ws, b.map(Double.init), stride: 1, padding: 3)
        expectClose(y.scalars, expected, tolerance: 1e-5, "large conv2d")

        // 40 -> 24 channels, 3x3 s2 transposed with output padding on 13x17: many column chunks.
        let ts = [2, 40, 13, 17], tw = [40, 24, 3, 3]
        let tx = randomValues(ts.reduce(1, *), seed: 14), twv = randomValues(tw.reduce(1, *), seed: 15)
        let ty = try convTranspose2d(Tensor(shape: TensorShape(ts), scalars: tx), weight: Tensor(shape: TensorShape(tw), scalars: twv),
                                     bias: nil, stride: 2, padding: 1, outputPadding: 1)
        let texpected = Naive.convTranspose2d(tx.map(Double.init), ts, twv.map(Double.init), tw, nil, stride: 2, padding: 1, outputPadding: 1)
        #expect(ty.shape == [2, 24, 26, 34])
        expectClose(ty.scalars, texpected, tolerance: 1e-5, "large convTranspose2d")
    }

    @Test("weight gradients are correct in both GEMM orientations on bigger layers")
    func weightGradientOrientations() throws {
        // 64 output channels over a 3-channel 7x7 patch (transposed orientation) and
        // 3 output channels over a 64-channel patch (direct orientation).
        for (xs, ws) in [([1, 3, 12, 12], [64, 3, 7, 7]), ([1, 64, 9, 9], [3, 64, 3, 3])] {
            let x = randomValues(xs.reduce(1, *), seed: 21), w = randomValues(ws.reduce(1, *), seed: 22)
            let weight = try Tensor.parameter(shape: TensorShape(ws), scalars: w)
            let y = try conv2d(Tensor(shape: TensorShape(xs), scalars: x), weight: weight, bias: nil, stride: 1, padding: 1)
            let target = randomValues(y.count, seed: 23)
            try mseLoss(y, Tensor(shape: y.shape, scalars: target)).backward()
            // dL/dy = 2 (y - T) / n; dW[o, c, i, j] = sum dL/dy[o, p] * x[c, p + (i, j) - pad]
            let yv = Naive.conv2d(x.map(Double.init), xs, w.map(Double.init), ws, nil, stride: 1, padding: 1)
            let dy = yv.indices.map { 2 * (yv[$0] - Double(target[$0])) / Double(yv.count) }
            let (c, h, wd) = (xs[1], xs[2], xs[3]), (o, k) = (ws[0], ws[2])
            let oh = h + 2 - k + 1, ow = wd + 2 - k + 1
            var expected = [Double](repeating: 0, count: ws.reduce(1, *))
            for oc in 0..<o { for ic in 0..<c { for i in 0..<k { for j in 0..<k {
                var acc = 0.0
                for yy in 0..<oh { for xx in 0..<ow {
                    let iy = yy - 1 + i, ix = xx - 1 + j
                    if iy >= 0, iy < h, ix >= 0, ix < wd { acc += dy[(oc * oh + yy) * ow + xx] * Double(x[(ic * h + iy) * wd + ix]) }
                } }
                expected[((oc * c + ic) * k + i) * k + j] = acc
            } } } }
            expectClose(try #require(weight.grad).scalars, expected, tolerance: 1e-4, "weight grad \(ws)")
        }
    }

    @Test("bad convolution shapes and arguments throw errors naming the op and shapes")
    func convolutionShapeErrors() throws {
        let x = Tensor(zeros: [1, 3, 8, 8])
        #expect(throws: TensorError.self) { try conv2d(x, weight: Tensor(zeros: [4, 2, 3, 3]), bias: nil) }
        #expect(throws: TensorError.self) { try conv2d(x, weight: Tensor(zeros: [4, 3, 3, 3]), bias: Tensor(zeros: [3])) }
        #expect(throws: TensorError.self) { try conv2d(x, weight: Tensor(zeros: [4, 3, 9, 9]), bias: nil) }
        #expect(throws: TensorError.self) { try conv2d(x, weight: Tensor(zeros: [4, 3, 3, 3]), bias: nil, stride: 0) }
        #expect(throws: TensorError.self) { try conv2d(Tensor(zeros: [3, 8, 8]), weight: Tensor(zeros: [4, 3, 3, 3]), bias: nil) }
        #expect(throws: TensorError.self) { try convTranspose2d(x, weight: Tensor(zeros: [4, 3, 3, 3]), bias: nil) }
        #expect(throws: TensorError.self) {
            try convTranspose2d(x, weight: Tensor(zeros: [3, 2, 3, 3]), bias: nil, stride: 2, padding: 1, outputPadding: 2)
        }
        do {
            _ = try conv2d(x, weight: Tensor(zeros: [4, 2, 3, 3]), bias: nil)
            Issue.record("expected a shape error")
        } catch {
            #expect(error.description.contains("conv2d"))
            #expect(error.description.contains("[1, 3, 8, 8]"))
            #expect(error.description.contains("[4, 2, 3, 3]"))
        }
    }
}

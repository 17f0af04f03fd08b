import Testing
@testable import Tensor

/// Input and weight gradients of convolutions at the sizes of the tiny CycleGAN (ngf 8, 32x32,
/// batch 2), against the float64 adjoint written out from the definition.
@Suite struct ConvolutionGradientTests {
    struct Layer: CustomTestStringConvertible, Sendable {
        var input: [Int], weight: [Int], stride: Int, padding: Int
        var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding)" }
    }

    static let layers: [Layer] = [
        Layer(input: [2, 3, 38, 38], weight: [8, 3, 7, 7], stride: 1, padding: 0),
        Layer(input: [2, 8, 32, 32], weight: [16, 8, 3, 3], stride: 2, padding: 1),
        Layer(input: [2, 32, 10, 10], weight: [32, 32, 3, 3], stride: 1, padding: 0),
        Layer(input: [2, 8, 38, 38], weight: [3, 8, 7, 7], stride: 1, padding: 0),
        Layer(input: [2, 32, 4, 4], weight: [64, 32, 4, 4], stride: 1, padding: 1),
        Layer(input: [2, 64, 3, 3], weight: [1, 64, 4, 4], stride: 1, padding: 1),
        Layer(input: [2, 3, 32, 32], weight: [8, 3, 4, 4], stride: 2, padding: 1),
    ]

    @Test("conv2d input and weight gradients match the float64 adjoint", arguments: layers)
    func gradientsMatchAdjoint(_ t: Layer) throws {
        let xv = randomValues(t.input.reduce(1, *), seed: 91), wv = randomValues(t.weight.reduce(1, *), seed: 92)
        let x = try Tensor.parameter(shape: TensorShape(t.input), scalars: xv)
        let w = try Tensor.parameter(shape: TensorShape(t.weight), scalars: wv)
        let y = try conv2d(x, weight: w, bias: nil, stride: t.stride, padding: t.padding)
        let target = randomValues(y.count, seed: 93)
        try mseLoss(y, Tensor(shape: y.shape, scalars: target)).backward()

        let yd = Naive.conv2d(xv.map(Double.init), t.input, wv.map(Double.init), t.weight, nil, stride: t.stride, padding: t.padding)
        let dy = yd.indices.map { 2 * (yd[$0] - Double(target[$0])) / Double(yd.count) }
        let (n, c, h, wd) = (t.input[0], t.input[1], t.input[2], t.input[3])
        let (o, kh, kw) = (t.weight[0], t.weight[2], t.weight[3])
        let (oh, ow) = (y.shape[2], y.shape[3])
        var dx = [Double](repeating: 0, count: xv.count), dw = [Double](repeating: 0, count: wv.count)
        for s in 0..<n { for oc in 0..<o { for yy in 0..<oh { for xx in 0..<ow {
            let g = dy[((s * o + oc) * oh + yy) * ow + xx]
            for ic in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let iy = yy * t.stride - t.padding + i, ix = xx * t.stride - t.padding + j
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                let xi = ((s * c + ic) * h + iy) * wd + ix, wi = ((oc * c + ic) * kh + i) * kw + j
                dx[xi] += g * Double(wv[wi])
                dw[wi] += g * Double(xv[xi])
            } } }
        } } } }
        expectClose(try #require(x.grad).scalars, dx, tolerance: 1e-5, "dx \(t.testDescription)")
        expectClose(try #require(w.grad).scalars, dw, tolerance: 1e-5, "dW \(t.testDescription)")
    }
}

/// The bias is added once to each finished sum, as PyTorch does: a convolution with bias is
/// bitwise the convolution without bias plus the bias. (Summing from the bias instead rounds every
/// partial sum at the bias' magnitude, which an instance norm that follows turns into visible error.)
@Suite struct ConvolutionBiasTests {
    @Test("conv2d with bias equals conv2d without bias plus the bias, bitwise",
          arguments: [([2, 8, 12, 12], [8, 8, 3, 3]), ([1, 50, 6, 6], [10, 50, 3, 3]), ([2, 5, 9, 40], [3, 5, 3, 3])])
    func biasIsAddedToTheFinishedSum(_ shapes: ([Int], [Int])) throws {
        let (xs, ws) = shapes
        let x = try Tensor(shape: TensorShape(xs), scalars: randomValues(xs.reduce(1, *), seed: 95))
        let w = try Tensor(shape: TensorShape(ws), scalars: randomValues(ws.reduce(1, *), seed: 96).map { $0 * 0.01 })
        let biasValues = randomValues(ws[0], seed: 97).map { $0 * 100 }
        let b = try Tensor(shape: [ws[0]], scalars: biasValues)
        let withBias = try conv2d(x, weight: w, bias: b, padding: 1).scalars
        let without = try conv2d(x, weight: w, bias: nil, padding: 1)
        let plane = without.shape[2] * without.shape[3]
        let expected = without.scalars.enumerated().map { $0.element + biasValues[($0.offset / plane) % ws[0]] }
        #expect(withBias == expected)
    }
}

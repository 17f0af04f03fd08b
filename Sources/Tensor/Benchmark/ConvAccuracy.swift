/// The error of the convolution kernels on one layer against a float64 direct convolution
/// written from the definition, for the forward pass, the input grad and the weight grad.
/// Random data: x and dy uniform in [-1, 1], weights uniform in ±1/sqrt(C*KH*KW) (PyTorch's
/// default initialisation scale). Reference values are computed for `sampledChannels` channels
/// spread over the layer (every input channel contributes to each of them), so a 256-channel
/// layer is checked in a fraction of a second.
public struct ConvAccuracy: Sendable {
    /// max |kernel - reference| / max |reference| over the checked values of each pass.
    public var forward: Double
    public var inputGrad: Double
    public var weightGrad: Double

    /// Measures the kernels `ConvKernels` picks for `g` (`winograd: false`: the GEMM paths).
    static func measure(_ g: ConvGeometry, winograd: Bool, sampledChannels: Int = 8) -> ConvAccuracy {
        let x = TensorStorage(uninitializedCount: g.batch * g.inputSize)
        let w = TensorStorage(uninitializedCount: g.weightCount)
        let dy = TensorStorage(uninitializedCount: g.batch * g.outputSize)
        KernelBenchmark.fillRandom(x.pointer, x.count, seed: 31)
        KernelBenchmark.fillRandom(w.pointer, w.count, seed: 32, scale: 1 / Float(g.patch).squareRoot())
        KernelBenchmark.fillRandom(dy.pointer, dy.count, seed: 33)
        let y = TensorStorage(uninitializedCount: g.batch * g.outputSize)
        let dx = TensorStorage(uninitializedCount: g.batch * g.inputSize)
        let dw = TensorStorage(uninitializedCount: g.weightCount)
        ConvKernels.forward(g, x: x.pointer, weight: w.pointer, bias: nil, y: y.pointer, winograd: winograd)
        ConvKernels.backwardData(g, dy: dy.pointer, weight: w.pointer, dx: dx.pointer, winograd: winograd)
        ConvKernels.backwardWeight(g, x: x.pointer, dy: dy.pointer, dWeight: dw.pointer, accumulate: false, winograd: winograd)

        func spread(_ count: Int) -> [Int] {
            let samples = Swift.min(count, Swift.max(1, sampledChannels))
            return (0..<samples).map { $0 * count / samples + (count / samples) / 2 }
        }
        let kh = g.kernelHeight, kw = g.kernelWidth
        var forward = ErrorRatio(), inputGrad = ErrorRatio(), weightGrad = ErrorRatio()
        for n in 0..<g.batch {
            let xn = x.pointer + n * g.inputSize
            // Forward for sampled output channels.
            for o in spread(g.outChannels) {
                var sum = [Double](repeating: 0, count: g.pixels)
                for c in 0..<g.channels {
                    let plane = xn + c * g.height * g.width
                    for a in 0..<kh {
                        for b in 0..<kw {
                            let weight = Double(w.pointer[((o * g.channels + c) * kh + a) * kw + b])
                            Self.forEachTap(g, a, b) { output, input in sum[output] += Double(plane[input]) * weight }
                        }
                    }
                }
                let got = y.pointer + n * g.outputSize + o * g.pixels
                for i in 0..<g.pixels { forward.add(Double(got[i]), sum[i]) }
            }
        }
        // Weight grad for sampled output channels.
        for o in spread(g.outChannels) {
            for c in 0..<g.channels {
                for a in 0..<kh {
                    for b in 0..<kw {
                        var sum = 0.0
                        for n in 0..<g.batch {
                            let plane = x.pointer + n * g.inputSize + c * g.height * g.width
                            let gradient = dy.pointer + n * g.outputSize + o * g.pixels
                            Self.forEachTap(g, a, b) { output, input in sum += Double(gradient[output]) * Double(plane[input]) }
                        }
                        weightGrad.add(Double(dw.pointer[((o * g.channels + c) * kh + a) * kw + b]), sum)
                    }
                }
            }
        }
        // Input grad for sampled input channels (scatter form of the adjoint).
        for n in 0..<g.batch {
            for c in spread(g.channels) {
                var sum = [Double](repeating: 0, count: g.height * g.width)
                for o in 0..<g.outChannels {
                    let gradient = dy.pointer + n * g.outputSize + o * g.pixels
                    for a in 0..<kh {
                        for b in 0..<kw {
                            let weight = Double(w.pointer[((o * g.channels + c) * kh + a) * kw + b])
                            Self.forEachTap(g, a, b) { output, input in sum[input] += Double(gradient[output]) * weight }
                        }
                    }
                }
                let got = dx.pointer + n * g.inputSize + c * g.height * g.width
                for i in 0..<(g.height * g.width) { inputGrad.add(Double(got[i]), sum[i]) }
            }
        }
        return ConvAccuracy(forward: forward.value, inputGrad: inputGrad.value, weightGrad: weightGrad.value)
    }

    /// Calls `body(output, input)` for every output pixel (index in its plane) whose kernel tap
    /// (a, b) reads a pixel inside the input plane (that pixel's index), zero padding elsewhere.
    @inline(__always)
    static func forEachTap(_ g: ConvGeometry, _ a: Int, _ b: Int, _ body: (Int, Int) -> Void) {
        for i in 0..<g.outHeight {
            let ih = i * g.stride - g.padding + a
            guard ih >= 0, ih < g.height else { continue }
            for j in 0..<g.outWidth {
                let iw = j * g.stride - g.padding + b
                guard iw >= 0, iw < g.width else { continue }
                body(i * g.outWidth + j, ih * g.width + iw)
            }
        }
    }

    /// max |error| / max |reference|, accumulated value by value.
    struct ErrorRatio {
        var error = 0.0
        var scale = 0.0
        mutating func add(_ got: Double, _ reference: Double) {
            let e = abs(got - reference)
            error = e > error || e.isNaN ? e : error
            scale = Swift.max(scale, abs(reference))
        }
        var value: Double { scale > 0 ? error / scale : error }
    }
}

import Testing
@testable import Tensor

/// The stride-1 kernels for at most 3 output channels (`SmallOutputConv`, `SingleOutputConv`)
/// called directly, at odd sizes and paddings, against the float64 definition; plus the weight
/// gradient's `accumulate`. (Thread-count independence holds by construction: tasks and their
/// summation order depend on the geometry only.)
@Suite struct SmallOutputConvTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var input: [Int], weight: [Int], padding: Int
        var testDescription: String { "x\(input) w\(weight) p\(padding)" }
        var geometry: ConvGeometry {
            let out = { (size: Int, k: Int) in size + 2 * padding - k + 1 }
            return ConvGeometry(
                batch: input[0], channels: input[1], height: input[2], width: input[3], outChannels: weight[0],
                kernelHeight: weight[2], kernelWidth: weight[3], stride: 1, padding: padding,
                outHeight: out(input[2], weight[2]), outWidth: out(input[3], weight[3]))
        }
    }

    static let cases: [Case] = [
        // SingleOutputConv: 1 output, 4x4, rows up to 32 pixels.
        Case(input: [2, 7, 9, 13], weight: [1, 7, 4, 4], padding: 1),
        Case(input: [1, 130, 32, 32], weight: [1, 130, 4, 4], padding: 1),
        Case(input: [2, 5, 33, 33], weight: [1, 5, 4, 4], padding: 1),
        Case(input: [1, 3, 5, 35], weight: [1, 3, 4, 4], padding: 0),
        Case(input: [1, 4, 6, 20], weight: [1, 4, 4, 4], padding: 3),
        Case(input: [3, 2, 4, 4], weight: [1, 2, 4, 4], padding: 2),
        // SmallOutputConv: 3 outputs (whole and tail kernel columns), 2 and 1 outputs.
        Case(input: [2, 5, 38, 38], weight: [3, 5, 7, 7], padding: 0),
        Case(input: [1, 4, 40, 70], weight: [3, 4, 7, 7], padding: 3),
        Case(input: [1, 3, 11, 17], weight: [3, 3, 5, 5], padding: 2),
        Case(input: [2, 3, 13, 45], weight: [2, 3, 3, 3], padding: 1),
        Case(input: [1, 6, 9, 50], weight: [1, 6, 4, 4], padding: 1),
        Case(input: [1, 6, 9, 12], weight: [1, 6, 3, 3], padding: 1),
    ]

    func run(_ t: Case, bias: Bool) -> (y: [Float], dw: [Float], dwAccumulated: [Float], expected: (y: [Double], dw: [Double])) {
        let g = t.geometry
        var xv = randomValues(g.batch * g.inputSize, seed: 11), wv = randomValues(g.weightCount, seed: 12)
        var bv = randomValues(g.outChannels, seed: 13), dyv = randomValues(g.batch * g.outputSize, seed: 14)
        var y = [Float](repeating: .nan, count: g.batch * g.outputSize), dw = [Float](repeating: .nan, count: g.weightCount)
        var dwAccumulated = randomValues(g.weightCount, seed: 15)
        let start = dwAccumulated
        xv.withUnsafeMutableBufferPointer { x in
            wv.withUnsafeMutableBufferPointer { w in
                bv.withUnsafeMutableBufferPointer { b in
                    dyv.withUnsafeMutableBufferPointer { dy in
                        y.withUnsafeMutableBufferPointer { yp in
                            ConvKernels.forward(g, x: x.baseAddress!, weight: w.baseAddress!, bias: bias ? b.baseAddress! : nil, y: yp.baseAddress!)
                        }
                        dw.withUnsafeMutableBufferPointer { d in
                            ConvKernels.backwardWeight(g, x: x.baseAddress!, dy: dy.baseAddress!, dWeight: d.baseAddress!, accumulate: false)
                        }
                        dwAccumulated.withUnsafeMutableBufferPointer { d in
                            ConvKernels.backwardWeight(g, x: x.baseAddress!, dy: dy.baseAddress!, dWeight: d.baseAddress!, accumulate: true)
                        }
                    }
                }
            }
        }
        let yd = Naive.conv2d(xv.map(Double.init), t.input, wv.map(Double.init), t.weight, bias ? bv.map(Double.init) : nil,
                              stride: 1, padding: t.padding)
        var dwd = [Double](repeating: 0, count: g.weightCount)
        for n in 0..<g.batch { for o in 0..<g.outChannels { for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
            let d = Double(dyv[((n * g.outChannels + o) * g.outHeight + oh) * g.outWidth + ow])
            for c in 0..<g.channels { for i in 0..<g.kernelHeight { for j in 0..<g.kernelWidth {
                let iy = oh - g.padding + i, ix = ow - g.padding + j
                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                dwd[((o * g.channels + c) * g.kernelHeight + i) * g.kernelWidth + j] += d * Double(xv[((n * g.channels + c) * g.height + iy) * g.width + ix])
            } } }
        } } } }
        return (y, dw, dwAccumulated.indices.map { dwAccumulated[$0] - start[$0] }, (yd, dwd))
    }

    @Test("forward and weight gradient match the float64 definition", arguments: cases)
    func matchesDefinition(_ t: Case) {
        #expect(SmallOutputConv.applies(t.geometry))
        for bias in [false, true] {
            let r = run(t, bias: bias)
            expectClose(r.y, r.expected.y, tolerance: 1e-5, "y \(t.testDescription) bias \(bias)")
            expectClose(r.dw, r.expected.dw, tolerance: 1e-5, "dW \(t.testDescription)")
            expectClose(r.dwAccumulated, r.expected.dw, tolerance: 1e-5, "accumulated dW \(t.testDescription)")
        }
    }
}

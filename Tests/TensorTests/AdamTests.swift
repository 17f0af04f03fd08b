import Testing
@testable import Tensor

@Suite struct AdamTests {
    @Test("three Adam steps match hand-computed values, with a zero gradient and a sign change")
    func threeStepsMatchHandComputedValues() {
        // Parameter 0: steady positive gradient; 1: always zero; 2: gradient flips sign after step 1.
        // Expected values computed by hand (float64) from PyTorch's update rule, lr 0.01, betas 0.5/0.999.
        var adam = Adam(parameterCount: 3, beta1: 0.5, beta2: 0.999, eps: 1e-8)
        var parameters: [Float] = [1.0, -0.5, 0.25]
        let gradients: [[Float]] = [[0.1, 0, -0.2], [0.1, 0, 0.3], [-0.05, 0, 0.3]]
        let expected: [[Double]] = [
            [0.990000001, -0.5, 0.260000000],
            [0.980000002, -0.5, 0.254770739],
            [0.978350155, -0.5, 0.246331139],
        ]
        let expectedM: [Double] = [0.0125, 0, 0.2]
        let expectedV: [Double] = [2.247001e-05, 0, 0.00021983004]
        for step in 0..<3 {
            parameters.withUnsafeMutableBufferPointer { p in
                gradients[step].withUnsafeBufferPointer { g in adam.update(parameters: p, gradients: g, lr: 0.01) }
            }
            expectClose(parameters, expected[step], tolerance: 2e-7, "parameters after step \(step + 1)")
        }
        #expect(adam.step == 3)
        expectClose(adam.m, expectedM, tolerance: 1e-6, "first moments")
        expectClose(adam.v.map { $0 * 1000 }, expectedV.map { $0 * 1000 }, tolerance: 1e-5, "second moments")
        #expect(parameters[1] == -0.5, "a parameter whose gradient is always zero never moves")
    }

    @Test func updatesAreBitwiseReproducible() {
        func run() -> [Float] {
            var adam = Adam(parameterCount: 100)
            var p = randomValues(100, seed: 71)
            for step in 0..<5 {
                let g = randomValues(100, seed: 72 + UInt64(step))
                p.withUnsafeMutableBufferPointer { pp in g.withUnsafeBufferPointer { adam.update(parameters: pp, gradients: $0, lr: 2e-4) } }
            }
            return p
        }
        #expect(run() == run())
    }

    @Test func eightLaneUpdateAndItsScalarTailMatchThePerElementFormulaBitForBit() {
        // 5 whole vectors and a ragged tail of 5, against the documented formula element by element.
        let count = 45
        let b1: Float = 0.5, b2: Float = 0.999, eps: Float = 1e-8, lr: Float = 2e-4
        var adam = Adam(parameterCount: count, beta1: b1, beta2: b2, eps: eps)
        var parameters = randomValues(count, seed: 101)
        var expected = parameters
        var m = [Float](repeating: 0, count: count), v = [Float](repeating: 0, count: count)
        let decimal1 = Adam.writtenValue(b1), decimal2 = Adam.writtenValue(b2)
        var power1 = 1.0, power2 = 1.0
        for step in 1...4 {
            let g = randomValues(count, seed: 110 + UInt64(step)).map { $0 * Float(step) }
            parameters.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { adam.update(parameters: p, gradients: $0, lr: lr) } }
            power1 *= decimal1
            power2 *= decimal2
            let stepSize = Float(Double(lr) / (1 - power1)), correction2 = Float((1 - power2).squareRoot())
            let oneMinusB1 = Float(1 - decimal1), oneMinusB2 = Float(1 - decimal2)
            for i in 0..<count {
                m[i] = b1 * m[i] + oneMinusB1 * g[i]
                v[i] = b2 * v[i] + oneMinusB2 * g[i] * g[i]
                expected[i] = expected[i] - stepSize * (m[i] / (v[i].squareRoot() / correction2 + eps))
            }
        }
        #expect(parameters == expected)
        #expect(adam.m == m && adam.v == v)
    }

    @Test func updatingSeparateTensorsInPlaceMatchesTheFlatUpdateBitForBit() throws {
        // Sizes straddle the parallel grain (32768), so pieces of one tensor run on different threads.
        let sizes = [3, 70_000, 1, 40_000, 16]
        let total = sizes.reduce(0, +)
        var flat = randomValues(total, seed: 81)
        var tensors: [Tensor] = []
        var offset = 0
        for size in sizes {
            tensors.append(try Tensor.parameter(shape: TensorShape([size]), scalars: Array(flat[offset ..< offset + size])))
            offset += size
        }
        var flatAdam = Adam(parameterCount: total), tensorAdam = Adam(parameterCount: total)
        for step in 0..<3 {
            let g = randomValues(total, seed: 90 + UInt64(step))
            g.withUnsafeBufferPointer { grads in
                flat.withUnsafeMutableBufferPointer { flatAdam.update(parameters: $0, gradients: grads, lr: 2e-4) }
                tensorAdam.update(tensors: tensors, gradients: grads, lr: 2e-4)
            }
        }
        #expect(tensors.flatMap(\.scalars) == flat)
        #expect(tensorAdam.m == flatAdam.m && tensorAdam.v == flatAdam.v && tensorAdam.step == 3)
        #expect(flat != randomValues(total, seed: 81), "the parameters moved")
    }
}

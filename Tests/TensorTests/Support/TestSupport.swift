import Testing
@testable import Tensor

/// A small deterministic generator (SplitMix64) so every test sees the same numbers.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` uniform values in `range`; with `awayFromZero`, magnitudes below it are pushed out
/// (for ops with a kink at 0, so finite differences do not straddle it).
func randomValues(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1, awayFromZero: Float = 0) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        var v = Float.random(in: range, using: &generator)
        if abs(v) < awayFromZero { v = v < 0 ? v - awayFromZero : v + awayFromZero }
        return v
    }
}

/// Checks element counts, then `|actual - expected| <= tolerance * max(1, max|expected|)`.
func expectClose(
    _ actual: [Float], _ expected: [Double], tolerance: Double = 1e-4, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    let scale = max(1e-3, expected.map(abs).max() ?? 0)
    var worst = 0.0, worstIndex = 0
    for i in actual.indices {
        let error = abs(Double(actual[i]) - expected[i])
        if !(error <= worst) { worst = error; worstIndex = i }
    }
    #expect(
        worst <= tolerance * scale,
        "\(what): worst error \(worst) at \(worstIndex) (got \(actual.isEmpty ? 0 : actual[worstIndex]), expected \(expected.isEmpty ? 0 : expected[worstIndex])), allowed \(tolerance * scale)",
        sourceLocation: sourceLocation)
}

/// One operand of a gradient check.
struct Operand {
    var shape: TensorShape
    var values: [Float]
    init(_ shape: TensorShape, seed: UInt64, awayFromZero: Float = 0) {
        self.shape = shape
        self.values = randomValues(shape.count, seed: seed, awayFromZero: awayFromZero)
    }
}

/// Runs `op` on parameters made from `operands`, checks its output against `reference` (float64)
/// and its gradients against central finite differences of `mean((reference(x) - T)^2)` in float64,
/// where T is a random target; the analytic side is `backward()` of `mseLoss(op(x), T)`.
func checkOp(
    _ name: String, _ operands: [Operand], seed: UInt64 = 99, tolerance: Double = 1e-3,
    op: ([Tensor]) throws -> Tensor, reference: ([[Double]]) -> [Double],
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let parameters = try operands.map { try Tensor.parameter(shape: $0.shape, scalars: $0.values) }
    let output = try op(parameters)
    let inputs = operands.map { $0.values.map(Double.init) }
    let expected = reference(inputs)
    expectClose(output.scalars, expected, tolerance: 1e-4, "\(name) forward", sourceLocation: sourceLocation)

    let target = randomValues(output.count, seed: seed)
    let loss = try mseLoss(output, Tensor(shape: output.shape, scalars: target))
    try loss.backward()

    func referenceLoss(_ xs: [[Double]]) -> Double {
        let out = reference(xs)
        var total = 0.0
        for i in out.indices { total += (out[i] - Double(target[i])) * (out[i] - Double(target[i])) }
        return total / Double(out.count)
    }
    for (index, operand) in operands.enumerated() {
        var xs = inputs
        var numeric = [Double](repeating: 0, count: operand.values.count)
        let h = 1e-6
        for i in operand.values.indices {
            let original = xs[index][i]
            xs[index][i] = original + h
            let up = referenceLoss(xs)
            xs[index][i] = original - h
            let down = referenceLoss(xs)
            xs[index][i] = original
            numeric[i] = (up - down) / (2 * h)
        }
        let analytic = try #require(parameters[index].grad, "\(name): operand \(index) got no gradient", sourceLocation: sourceLocation)
        #expect(analytic.shape == operand.shape, sourceLocation: sourceLocation)
        expectClose(analytic.scalars, numeric, tolerance: tolerance, "\(name) gradient of operand \(index)", sourceLocation: sourceLocation)
    }
}

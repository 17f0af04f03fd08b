/// PyTorch's Adam (no weight decay, no amsgrad) over one flat parameter buffer.
///
/// Bitwise reproducible across CPUs: plain `*`, `+`, `/` and IEEE `sqrt` in a fixed order (never
/// fused into FMAs), bias-correction powers by repeated Double multiplication instead of libm's
/// `pow`. Per element, exactly as PyTorch's single-tensor path computes it:
/// `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g*g`,
/// `p = p - stepSize * (m / (sqrt(v) / sqrt(1 - b2^t) + eps))` with `stepSize = lr / (1 - b1^t)`.
///
/// Like PyTorch, which gets the betas as Python (double) literals, `1 - b` and the powers `b^t` are
/// computed in Double from the decimal the Float was written as (0.999, not 0.99900001287), and
/// rounded to Float once: `1 - 0.999` becomes `Float(0.001)`, exactly PyTorch's scalar.
public struct Adam: Sendable {
    public var beta1: Float, beta2: Float, eps: Float
    /// Number of updates applied so far.
    public var step: Int
    /// First and second moment estimates, one per parameter (checkpointed).
    public var m: [Float], v: [Float]

    public init(parameterCount: Int, beta1: Float = 0.5, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.step = 0
        self.m = Array(repeating: 0, count: Swift.max(parameterCount, 0))
        self.v = Array(repeating: 0, count: Swift.max(parameterCount, 0))
    }

    /// Applies one update in place. Uses the first `min(parameters.count, gradients.count, m.count)`
    /// elements (they are equal in correct use).
    public mutating func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, lr: Float) {
        guard let p = parameters.baseAddress else { step += 1; return }
        update(segments: [(p, parameters.count)], gradients: gradients, lr: lr)
    }

    /// Applies one update in place to parameters held in separate tensors: in order, their elements
    /// are the flat buffer that `gradients`, `m` and `v` index (a model's parameter group), so no
    /// flat copy of the weights is made and written back. Same results, bit for bit, as
    /// `update(parameters:gradients:lr:)` on that flat buffer; elements past
    /// `min(gradients.count, m.count)` are left alone.
    public mutating func update(tensors: [Tensor], gradients: UnsafeBufferPointer<Float>, lr: Float) {
        update(segments: tensors.map { ($0.storage.pointer, $0.count) }, gradients: gradients, lr: lr)
    }

    /// The update over consecutive stretches of the flat buffer held at separate addresses.
    private mutating func update(segments: [(UnsafeMutablePointer<Float>, Int)], gradients: UnsafeBufferPointer<Float>, lr: Float) {
        step += 1
        let decimalBeta1 = Self.writtenValue(beta1), decimalBeta2 = Self.writtenValue(beta2)
        var power1 = 1.0, power2 = 1.0
        for _ in 0..<step {
            power1 = power1 * decimalBeta1
            power2 = power2 * decimalBeta2
        }
        let stepSize = Float(Double(lr) / (1 - power1))
        let correction2 = Float((1 - power2).squareRoot())
        let b1 = beta1, b2 = beta2, epsilon = eps
        let oneMinusB1 = Float(1 - decimalBeta1), oneMinusB2 = Float(1 - decimalBeta2)
        let count = Swift.min(gradients.count, m.count, v.count)
        guard let g = gradients.baseAddress else { return }
        // Work pieces of at most `grain` elements: (parameter address, flat offset, length).
        var pieces: [(SharedPointer, Int, Int)] = []
        var offset = 0
        for (pointer, length) in segments where offset < count {
            let usable = Swift.min(length, count - offset)
            for start in stride(from: 0, to: usable, by: Elementwise.grain) {
                pieces.append((SharedPointer(pointer + start), offset + start, Swift.min(Elementwise.grain, usable - start)))
            }
            offset += length
        }
        let work = pieces
        m.withUnsafeMutableBufferPointer { mBuffer in
            v.withUnsafeMutableBufferPointer { vBuffer in
                guard let mp = mBuffer.baseAddress, let vp = vBuffer.baseAddress else { return }
                let gs = SharedPointer(UnsafeMutablePointer(mutating: g))
                let ms = SharedPointer(mp), vs = SharedPointer(vp)
                // Every element is independent, so splitting the work changes no bit.
                ThreadPool.shared.parallelFor(work.count) { index in
                    let (piece, first, length) = work[index]
                    let p = piece.base, g = gs.base + first, mp = ms.base + first, vp = vs.base + first
                    // 8 lanes at a time: the same operations in the same order as the scalar tail
                    // (lane-wise sqrt and division round exactly like scalar ones), 8 times fewer
                    // square roots and divisions through the divider.
                    var start = 0
                    while start &+ 8 <= length {
                        let grad = load8(g + start)
                        let mi = SIMD8(repeating: b1) * load8(mp + start) + SIMD8(repeating: oneMinusB1) * grad
                        let vi = SIMD8(repeating: b2) * load8(vp + start) + SIMD8(repeating: oneMinusB2) * grad * grad
                        store8(mi, mp + start)
                        store8(vi, vp + start)
                        let denominator = vi.squareRoot() / SIMD8(repeating: correction2) + SIMD8(repeating: epsilon)
                        store8(load8(p + start) - SIMD8(repeating: stepSize) * (mi / denominator), p + start)
                        start &+= 8
                    }
                    for i in start..<length {
                        let grad = g[i]
                        let mi = b1 * mp[i] + oneMinusB1 * grad
                        let vi = b2 * vp[i] + oneMinusB2 * grad * grad
                        mp[i] = mi
                        vp[i] = vi
                        let denominator = vi.squareRoot() / correction2 + epsilon
                        p[i] = p[i] - stepSize * (mi / denominator)
                    }
                }
            }
        }
    }

    /// The Double of the shortest decimal that round-trips to `value` (what a config file said).
    static func writtenValue(_ value: Float) -> Double {
        Double(value.description) ?? Double(value)
    }
}

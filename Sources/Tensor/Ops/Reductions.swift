/// Mean of all elements, as a scalar of shape `[]`. Summed in Double.
public func mean(_ x: Tensor) -> Tensor {
    let n = x.count
    let value = n == 0 ? Float.nan : Float(Elementwise.sumDouble(x.storage.pointer, count: n) / Double(n))
    let out = TensorStorage(uninitializedCount: 1)
    out.pointer[0] = value
    let shape = x.shape
    return Tensor.result(shape: [], storage: out, op: "mean", inputs: [x]) { dy, _ in
        [Tensor(repeating: dy.storage.pointer[0] / Float(n), shape: shape)]
    }
}

/// Mean absolute difference `mean |a - b|` (same shape), a scalar of shape `[]`.
/// Backward uses `sign(a - b)` (0 where equal), like PyTorch.
/// - Throws: `TensorError.shapeMismatch` when the shapes differ.
public func l1Loss(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Tensor {
    try requireSameShape("l1Loss", a, b)
    let n = a.count
    let pa = a.storage.pointer, pb = b.storage.pointer
    var total = 0.0
    for i in 0..<n { total += Double(abs(pa[i] - pb[i])) }
    let out = TensorStorage(uninitializedCount: 1)
    out.pointer[0] = Float(total / Double(n))
    let sa = a.storage, sb = b.storage, shape = a.shape
    return Tensor.result(shape: [], storage: out, op: "l1Loss", inputs: [a, b]) { dy, needs in
        let g = dy.storage.pointer[0] / Float(n)
        let da = TensorStorage(uninitializedCount: n)
        Elementwise.zip(
            sa, sb, into: da,
            { x, y in
                let d = x - y
                return SIMD16<Float>(repeating: 0).replacing(with: g, where: d .> 0).replacing(with: -g, where: d .< 0)
            },
            { x, y in x > y ? g : (x < y ? -g : 0) })
        let ga = Tensor(shape: shape, storage: da)
        return [ga, needs[1] ? negated(ga) : nil]
    }
}

/// Mean squared difference `mean (a - b)^2` (same shape), a scalar of shape `[]`.
/// - Throws: `TensorError.shapeMismatch` when the shapes differ.
public func mseLoss(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Tensor {
    try requireSameShape("mseLoss", a, b)
    return squaredErrorLoss(a, target: .tensor(b), op: "mseLoss")
}

/// Mean squared difference from a constant, `mean (a - target)^2`, a scalar of shape `[]`.
public func mseLoss(_ a: Tensor, target: Float) -> Tensor {
    squaredErrorLoss(a, target: .constant(target), op: "mseLoss")
}

private enum SquaredErrorTarget {
    case tensor(Tensor)
    case constant(Float)
}

private func squaredErrorLoss(_ a: Tensor, target: SquaredErrorTarget, op: String) -> Tensor {
    let n = a.count
    let pa = a.storage.pointer
    var total = 0.0
    let targetStorage: TensorStorage
    switch target {
    case let .tensor(b):
        targetStorage = b.storage
    case let .constant(value):
        targetStorage = TensorStorage(uninitializedCount: n)
        targetStorage.pointer.initialize(repeating: value, count: n)
    }
    let pb = targetStorage.pointer
    for i in 0..<n {
        let d = Double(pa[i]) - Double(pb[i])
        total += d * d
    }
    let out = TensorStorage(uninitializedCount: 1)
    out.pointer[0] = Float(total / Double(n))
    let sa = a.storage, shape = a.shape
    var inputs = [a]
    if case let .tensor(b) = target { inputs.append(b) }
    return Tensor.result(shape: [], storage: out, op: op, inputs: inputs) { dy, needs in
        let g = 2 * dy.storage.pointer[0] / Float(n)
        let da = TensorStorage(uninitializedCount: n)
        Elementwise.zip(sa, targetStorage, into: da, { x, y in (x - y) * g }, { x, y in (x - y) * g })
        let ga = Tensor(shape: shape, storage: da)
        return needs.count > 1 ? [ga, needs[1] ? negated(ga) : nil] : [ga]
    }
}

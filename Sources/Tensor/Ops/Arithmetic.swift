/// Checks that two operands of an elementwise op have the same shape.
func requireSameShape(_ op: String, _ a: Tensor, _ b: Tensor) throws(TensorError) {
    guard a.shape == b.shape else {
        throw .shapeMismatch(op: op, shapes: [a.shape, b.shape], reason: "elementwise operands must have the same shape")
    }
}

/// `a + b` elementwise (same shape).
/// - Throws: `TensorError.shapeMismatch` when the shapes differ.
public func add(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Tensor {
    try requireSameShape("add", a, b)
    let out = Elementwise.sum(a.storage, b.storage)
    return Tensor.result(shape: a.shape, storage: out, op: "add", inputs: [a, b]) { dy, _ in [dy, dy] }
}

/// `a - b` elementwise (same shape).
/// - Throws: `TensorError.shapeMismatch` when the shapes differ.
public func sub(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Tensor {
    try requireSameShape("sub", a, b)
    let out = TensorStorage(uninitializedCount: a.count)
    Elementwise.zip(a.storage, b.storage, into: out, { $0 - $1 }, { $0 - $1 })
    return Tensor.result(shape: a.shape, storage: out, op: "sub", inputs: [a, b]) { dy, needs in
        [dy, needs[1] ? negated(dy) : nil]
    }
}

/// `x * s` elementwise.
public func scale(_ x: Tensor, by s: Float) -> Tensor {
    let out = TensorStorage(uninitializedCount: x.count)
    Elementwise.map(x.storage, into: out, { $0 * s }, { $0 * s })
    return Tensor.result(shape: x.shape, storage: out, op: "scale", inputs: [x]) { dy, _ in
        let dx = TensorStorage(uninitializedCount: dy.count)
        Elementwise.map(dy.storage, into: dx, { $0 * s }, { $0 * s })
        return [Tensor(shape: dy.shape, storage: dx)]
    }
}

/// `-x` as a fresh leaf (for gradients).
func negated(_ x: Tensor) -> Tensor {
    let out = TensorStorage(uninitializedCount: x.count)
    Elementwise.map(x.storage, into: out, { -$0 }, { -$0 })
    return Tensor(shape: x.shape, storage: out)
}

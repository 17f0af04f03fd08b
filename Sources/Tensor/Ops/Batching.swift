extension Tensor {
    /// Samples `[start, start + count)` along axis 0 (a copy); differentiable.
    /// - Throws: `TensorError.invalidArgument` for rank-0 tensors or a range outside `0..<shape[0]`.
    public func slice(batch start: Int, count sliceCount: Int) throws(TensorError) -> Tensor {
        guard shape.rank >= 1 else {
            throw .invalidArgument(op: "slice", reason: "a scalar (shape []) has no batch axis")
        }
        let total = shape[0]
        guard start >= 0, sliceCount >= 0, start <= total - sliceCount else {
            throw .invalidArgument(op: "slice", reason: "samples \(start)..<\(start + sliceCount) are outside 0..<\(total) of shape \(shape)")
        }
        let sample = total == 0 ? 0 : count / total
        var dims = shape.dims
        dims[0] = sliceCount
        let out = TensorStorage(uninitializedCount: sliceCount * sample)
        out.pointer.initialize(from: storage.pointer + start * sample, count: sliceCount * sample)
        let fullShape = shape
        return Tensor.result(shape: TensorShape(dims), storage: out, op: "slice", inputs: [self]) { dy, _ in
            let dx = TensorStorage(zeroedCount: total * sample)
            (dx.pointer + start * sample).update(from: dy.storage.pointer, count: sliceCount * sample)
            return [Tensor(shape: fullShape, storage: dx)]
        }
    }
}

/// Concatenates tensors along axis 0; all other dimensions must agree. Differentiable.
/// - Throws: `TensorError.invalidArgument` for an empty list or rank-0 tensors,
///   `.shapeMismatch` when the trailing dimensions differ.
public func concatBatch(_ xs: [Tensor]) throws(TensorError) -> Tensor {
    guard let first = xs.first else { throw .invalidArgument(op: "concatBatch", reason: "needs at least one tensor") }
    guard first.shape.rank >= 1 else { throw .invalidArgument(op: "concatBatch", reason: "scalars (shape []) have no batch axis") }
    let trailing = Array(first.shape.dims.dropFirst())
    for x in xs where x.shape.rank != first.shape.rank || Array(x.shape.dims.dropFirst()) != trailing {
        throw .shapeMismatch(op: "concatBatch", shapes: [first.shape, x.shape], reason: "all dimensions but the first must agree")
    }
    let total = xs.reduce(0) { $0 + $1.shape[0] }
    let out = TensorStorage(uninitializedCount: xs.reduce(0) { $0 + $1.count })
    var offset = 0
    var offsets: [Int] = []
    for x in xs {
        offsets.append(offset)
        (out.pointer + offset).initialize(from: x.storage.pointer, count: x.count)
        offset += x.count
    }
    let shapes = xs.map(\.shape)
    return Tensor.result(shape: TensorShape([total] + trailing), storage: out, op: "concatBatch", inputs: xs) { dy, needs in
        var grads: [Tensor?] = []
        for (i, shape) in shapes.enumerated() {
            guard needs[i] else { grads.append(nil); continue }
            let part = TensorStorage(uninitializedCount: shape.count)
            part.pointer.initialize(from: dy.storage.pointer + offsets[i], count: shape.count)
            grads.append(Tensor(shape: shape, storage: part))
        }
        return grads
    }
}

/// Pads the last two axes of `[N, C, H, W]` by reflecting `pad` rows/columns at each border
/// (the border itself is not repeated): output `[N, C, H + 2*pad, W + 2*pad]`.
/// - Throws: `TensorError.shapeMismatch` for inputs that are not rank 4 or have `pad >= H` or
///   `pad >= W`; `.invalidArgument` for a negative pad.
public func reflectionPad2d(_ x: Tensor, _ pad: Int) throws(TensorError) -> Tensor {
    let op = "reflectionPad2d"
    guard x.shape.rank == 4 else {
        throw .shapeMismatch(op: op, shapes: [x.shape], reason: "the input must be [N, C, H, W] (rank 4)")
    }
    guard pad >= 0 else { throw .invalidArgument(op: op, reason: "pad must not be negative, got \(pad)") }
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    guard pad < h, pad < w else {
        throw .shapeMismatch(op: op, shapes: [x.shape], reason: "pad \(pad) must be smaller than the height \(h) and width \(w)")
    }
    let oh = h + 2 * pad, ow = w + 2 * pad
    let out = TensorStorage(uninitializedCount: n * c * oh * ow)
    let src = SharedPointer(x.storage.pointer), dst = SharedPointer(out.pointer)
    ThreadPool.shared.parallelFor(n * c) { plane in
        let input = src.base + plane * h * w
        let output = dst.base + plane * oh * ow
        for row in 0..<oh {
            let ir = reflect(row - pad, h)
            let from = input + ir * w
            let to = output + row * ow
            for j in 0..<pad { to[j] = from[pad - j] }
            (to + pad).update(from: from, count: w)
            for j in 0..<pad { to[pad + w + j] = from[w - 2 - j] }
        }
    }
    let shape = x.shape
    return Tensor.result(shape: [n, c, oh, ow], storage: out, op: op, inputs: [x]) { dy, _ in
        let dx = TensorStorage(zeroedCount: n * c * h * w)
        let g = SharedPointer(dy.storage.pointer), d = SharedPointer(dx.pointer)
        ThreadPool.shared.parallelFor(n * c) { plane in
            let gradIn = d.base + plane * h * w
            let gradOut = g.base + plane * oh * ow
            for row in 0..<oh {
                let to = gradIn + reflect(row - pad, h) * w
                let from = gradOut + row * ow
                for j in 0..<pad { to[pad - j] += from[j] }
                Elementwise.addInPlace(to, from + pad, count: w)
                for j in 0..<pad { to[w - 2 - j] += from[pad + w + j] }
            }
        }
        return [Tensor(shape: shape, storage: dx)]
    }
}

/// Index of the reflected position of `i` in `0..<size` (`-1 -> 1`, `size -> size - 2`).
@inline(__always)
private func reflect(_ i: Int, _ size: Int) -> Int {
    if i < 0 { return -i }
    if i >= size { return 2 * size - 2 - i }
    return i
}

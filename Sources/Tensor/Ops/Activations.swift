#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `max(x, 0)` elementwise. Backward passes the gradient where the output is positive.
public func relu(_ x: Tensor) -> Tensor {
    let out = TensorStorage(uninitializedCount: x.count)
    Elementwise.map(x.storage, into: out, { $0.replacing(with: 0, where: .!($0 .> 0)) }, { $0 > 0 ? $0 : 0 })
    return Tensor.result(shape: x.shape, storage: out, op: "relu", inputs: [x]) { dy, _ in
        let dx = TensorStorage(uninitializedCount: out.count)
        Elementwise.zip(dy.storage, out, into: dx, { g, y in g.replacing(with: 0, where: .!(y .> 0)) }, { g, y in y > 0 ? g : 0 })
        return [Tensor(shape: dy.shape, storage: dx)]
    }
}

/// `x > 0 ? x : slope * x` elementwise. Backward: gradient times 1 where x > 0, else times slope.
public func leakyRelu(_ x: Tensor, slope: Float) -> Tensor {
    let out = TensorStorage(uninitializedCount: x.count)
    Elementwise.map(x.storage, into: out, { $0.replacing(with: $0 * slope, where: .!($0 .> 0)) }, { $0 > 0 ? $0 : $0 * slope })
    // With slope >= 0 the output's sign says where x > 0, so the input buffer need not be kept.
    let mask = slope >= 0 ? out : x.storage
    return Tensor.result(shape: x.shape, storage: out, op: "leakyRelu", inputs: [x]) { dy, _ in
        let dx = TensorStorage(uninitializedCount: out.count)
        Elementwise.zip(
            dy.storage, mask, into: dx, { g, m in g.replacing(with: g * slope, where: .!(m .> 0)) },
            { g, m in m > 0 ? g : g * slope })
        return [Tensor(shape: dy.shape, storage: dx)]
    }
}

/// Hyperbolic tangent elementwise. Backward: gradient times `1 - tanh(x)^2`.
public func tanh(_ x: Tensor) -> Tensor {
    let out = TensorStorage(uninitializedCount: x.count)
    let src = SharedPointer(x.storage.pointer), dst = SharedPointer(out.pointer)
    Elementwise.forChunks(x.count) { range in
        for i in range { dst.base[i] = tanhf(src.base[i]) }
    }
    return Tensor.result(shape: x.shape, storage: out, op: "tanh", inputs: [x]) { dy, _ in
        let dx = TensorStorage(uninitializedCount: out.count)
        Elementwise.zip(dy.storage, out, into: dx, { g, y in g * (1 - y * y) }, { g, y in g * (1 - y * y) })
        return [Tensor(shape: dy.shape, storage: dx)]
    }
}

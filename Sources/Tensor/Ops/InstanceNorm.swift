/// Instance normalisation of `[N, C, H, W]`: each (n, c) plane becomes `(x - mean) / sqrt(var + eps)`
/// with the biased variance, no affine parameters (CycleGAN's `InstanceNorm2d`). Statistics are
/// summed in Double. Backward keeps only the normalised output and one scale per plane.
/// - Throws: `TensorError.shapeMismatch` for inputs that are not rank 4.
public func instanceNorm2d(_ x: Tensor, eps: Float = 1e-5) throws(TensorError) -> Tensor {
    guard x.shape.rank == 4 else {
        throw .shapeMismatch(op: "instanceNorm2d", shapes: [x.shape], reason: "the input must be [N, C, H, W] (rank 4)")
    }
    let planes = x.shape[0] * x.shape[1]
    let size = x.shape[2] * x.shape[3]
    let out = TensorStorage(uninitializedCount: x.count)
    let inverseStd = TensorStorage(uninitializedCount: planes)
    let src = SharedPointer(x.storage.pointer), dst = SharedPointer(out.pointer), scales = SharedPointer(inverseStd.pointer)
    ThreadPool.shared.parallelFor(planes) { plane in
        let input = src.base + plane * size
        let output = dst.base + plane * size
        let mean = Float(Elementwise.sumDouble(input, count: size) / Double(size))
        // Two passes: centre, then the centred sum of squares.
        let meanVector = SIMD16<Float>(repeating: mean)
        var i = 0
        while i + 16 <= size {
            storeVector(loadVector(input + i) - meanVector, output + i)
            i += 16
        }
        while i < size {
            output[i] = input[i] - mean
            i += 1
        }
        let variance = Elementwise.dotDouble(output, output, count: size) / Double(size)
        let scale = Float(1 / (variance + Double(eps)).squareRoot())
        scales.base[plane] = scale
        let scaleVector = SIMD16<Float>(repeating: scale)
        i = 0
        while i + 16 <= size {
            storeVector(loadVector(output + i) * scaleVector, output + i)
            i += 16
        }
        while i < size {
            output[i] *= scale
            i += 1
        }
    }
    let shape = x.shape
    return Tensor.result(shape: shape, storage: out, op: "instanceNorm2d", inputs: [x]) { dy, _ in
        // dx = s * (dy - mean(dy) - y * mean(dy * y))
        let dx = TensorStorage(uninitializedCount: out.count)
        let g = SharedPointer(dy.storage.pointer), y = SharedPointer(out.pointer), d = SharedPointer(dx.pointer)
        let s = SharedPointer(inverseStd.pointer)
        ThreadPool.shared.parallelFor(planes) { plane in
            let gp = g.base + plane * size, yp = y.base + plane * size, dp = d.base + plane * size
            let meanGrad = Float(Elementwise.sumDouble(gp, count: size) / Double(size))
            let meanGradY = Float(Elementwise.dotDouble(gp, yp, count: size) / Double(size))
            let scale = s.base[plane]
            let mg = SIMD16<Float>(repeating: meanGrad), mgy = SIMD16<Float>(repeating: meanGradY)
            let sv = SIMD16<Float>(repeating: scale)
            var i = 0
            while i + 16 <= size {
                let v = (loadVector(gp + i) - mg - loadVector(yp + i) * mgy) * sv
                storeVector(v, dp + i)
                i += 16
            }
            while i < size {
                dp[i] = (gp[i] - meanGrad - yp[i] * meanGradY) * scale
                i += 1
            }
        }
        return [Tensor(shape: shape, storage: dx)]
    }
}

/// 2-D convolution with zero padding: x `[N, C, H, W]`, weight `[O, C, KH, KW]`, bias `[O]`,
/// output `[N, O, (H + 2p - KH)/s + 1, (W + 2p - KW)/s + 1]`.
/// - Throws: `TensorError.shapeMismatch` when the shapes do not fit, `.invalidArgument` for
///   stride < 1 or negative padding.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) throws(TensorError) -> Tensor {
    let g = try ConvGeometry.conv2d(input: x.shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding)
    let out = TensorStorage(uninitializedCount: g.batch * g.outputSize)
    ConvKernels.forward(g, x: x.storage.pointer, weight: weight.storage.pointer, bias: bias?.storage.pointer, y: out.pointer)
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    // The input is only needed for the weight gradient.
    let savedInput = weight.recordsGradient ? x.storage : nil
    let weightStorage = weight.storage
    let inputShape = x.shape, weightShape = weight.shape, biasShape = bias?.shape
    return Tensor.result(shape: [g.batch, g.outChannels, g.outHeight, g.outWidth], storage: out, op: "conv2d", inputs: inputs) { dy, needs in
        var grads: [Tensor?] = [nil, nil]
        if needs[0] {
            let dx = TensorStorage(uninitializedCount: inputShape.count)
            ConvKernels.backwardData(g, dy: dy.storage.pointer, weight: weightStorage.pointer, dx: dx.pointer)
            grads[0] = Tensor(shape: inputShape, storage: dx)
        }
        if needs[1], let savedInput {
            let dw = TensorStorage(uninitializedCount: weightShape.count)
            ConvKernels.backwardWeight(g, x: savedInput.pointer, dy: dy.storage.pointer, dWeight: dw.pointer, accumulate: false)
            grads[1] = Tensor(shape: weightShape, storage: dw)
        }
        if let biasShape {
            if needs[2] {
                let db = TensorStorage(uninitializedCount: biasShape.count)
                ConvKernels.biasGradient(dy: dy.storage.pointer, batch: g.batch, channels: g.outChannels, plane: g.pixels, into: db.pointer)
                grads.append(Tensor(shape: biasShape, storage: db))
            } else {
                grads.append(nil)
            }
        }
        return grads
    }
}

/// 2-D transposed convolution (the adjoint of `conv2d`), PyTorch layout: x `[N, Cin, H, W]`,
/// weight `[Cin, Cout, KH, KW]`, bias `[Cout]`, output `[N, Cout, OH, OW]` with
/// `OH = (H - 1)*stride - 2*padding + KH + outputPadding` (likewise OW).
/// - Throws: `TensorError.shapeMismatch` when the shapes do not fit, `.invalidArgument` for
///   stride < 1, negative padding or `outputPadding` outside `0..<stride`.
public func convTranspose2d(
    _ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0
) throws(TensorError) -> Tensor {
    let g = try ConvGeometry.convTranspose2d(
        input: x.shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding, outputPadding: outputPadding)
    let out = TensorStorage(uninitializedCount: g.batch * g.inputSize)
    ConvKernels.backwardData(g, dy: x.storage.pointer, weight: weight.storage.pointer, dx: out.pointer)
    if let bias {
        ConvKernels.addChannels(out.pointer, value: bias.storage.pointer, batch: g.batch, channels: g.channels, plane: g.height * g.width)
    }
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    let savedInput = weight.recordsGradient ? x.storage : nil
    let weightStorage = weight.storage
    let inputShape = x.shape, weightShape = weight.shape, biasShape = bias?.shape
    let outShape: TensorShape = [g.batch, g.channels, g.height, g.width]
    return Tensor.result(shape: outShape, storage: out, op: "convTranspose2d", inputs: inputs) { dy, needs in
        var grads: [Tensor?] = [nil, nil]
        if needs[0] {
            let dx = TensorStorage(uninitializedCount: inputShape.count)
            ConvKernels.forward(g, x: dy.storage.pointer, weight: weightStorage.pointer, bias: nil, y: dx.pointer)
            grads[0] = Tensor(shape: inputShape, storage: dx)
        }
        if needs[1], let savedInput {
            let dw = TensorStorage(uninitializedCount: weightShape.count)
            ConvKernels.backwardWeight(g, x: dy.storage.pointer, dy: savedInput.pointer, dWeight: dw.pointer, accumulate: false)
            grads[1] = Tensor(shape: weightShape, storage: dw)
        }
        if let biasShape {
            if needs[2] {
                let db = TensorStorage(uninitializedCount: biasShape.count)
                ConvKernels.biasGradient(dy: dy.storage.pointer, batch: g.batch, channels: g.channels, plane: g.height * g.width, into: db.pointer)
                grads.append(Tensor(shape: biasShape, storage: db))
            } else {
                grads.append(nil)
            }
        }
        return grads
    }
}

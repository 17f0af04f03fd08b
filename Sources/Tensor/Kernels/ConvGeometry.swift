/// The sizes of a 2-D convolution `y = conv(x, w)` with zero padding:
/// x `[batch, channels, height, width]`, w `[outChannels, channels, kernelHeight, kernelWidth]`,
/// y `[batch, outChannels, outHeight, outWidth]`. A transposed convolution is described by the
/// convolution it is the adjoint of (its output plays x, its input plays y).
struct ConvGeometry: Sendable, Equatable {
    var batch: Int
    var channels: Int
    var height: Int
    var width: Int
    var outChannels: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var stride: Int
    var padding: Int
    var outHeight: Int
    var outWidth: Int

    /// Rows of the im2col matrix: channels * kernelHeight * kernelWidth.
    var patch: Int { channels * kernelHeight * kernelWidth }
    /// Columns of the im2col matrix: outHeight * outWidth.
    var pixels: Int { outHeight * outWidth }
    var inputSize: Int { channels * height * width }
    var outputSize: Int { outChannels * outHeight * outWidth }
    var weightCount: Int { outChannels * patch }

    /// Multiply-adds of one pass (forward, input grad and weight grad all have the same count).
    var multiplyAdds: Int { batch * outChannels * patch * pixels }

    /// Geometry of `conv2d(x, weight, bias, stride, padding)`, checking every shape.
    static func conv2d(
        input: TensorShape, weight: TensorShape, bias: TensorShape?, stride: Int, padding: Int
    ) throws(TensorError) -> ConvGeometry {
        let op = "conv2d"
        guard input.rank == 4 else {
            throw .shapeMismatch(op: op, shapes: [input], reason: "the input must be [N, C, H, W] (rank 4), got rank \(input.rank)")
        }
        guard weight.rank == 4 else {
            throw .shapeMismatch(op: op, shapes: [input, weight], reason: "the weight must be [O, C, KH, KW] (rank 4), got rank \(weight.rank)")
        }
        guard input.dims.allSatisfy({ $0 > 0 }), weight.dims.allSatisfy({ $0 > 0 }) else {
            throw .shapeMismatch(op: op, shapes: [input, weight], reason: "every dimension must be positive")
        }
        guard input[1] == weight[1] else {
            throw .shapeMismatch(op: op, shapes: [input, weight], reason: "the input has \(input[1]) channels but the weight expects \(weight[1])")
        }
        if let bias, bias != TensorShape([weight[0]]) {
            throw .shapeMismatch(op: op, shapes: [weight, bias], reason: "the bias must be [\(weight[0])], one value per output channel")
        }
        guard stride >= 1 else { throw .invalidArgument(op: op, reason: "stride must be at least 1, got \(stride)") }
        guard padding >= 0 else { throw .invalidArgument(op: op, reason: "padding must not be negative, got \(padding)") }
        let paddedH = input[2] + 2 * padding, paddedW = input[3] + 2 * padding
        guard paddedH >= weight[2], paddedW >= weight[3] else {
            throw .shapeMismatch(
                op: op, shapes: [input, weight],
                reason: "the padded input (\(paddedH)x\(paddedW)) is smaller than the \(weight[2])x\(weight[3]) kernel")
        }
        return ConvGeometry(
            batch: input[0], channels: input[1], height: input[2], width: input[3], outChannels: weight[0],
            kernelHeight: weight[2], kernelWidth: weight[3], stride: stride, padding: padding,
            outHeight: (paddedH - weight[2]) / stride + 1, outWidth: (paddedW - weight[3]) / stride + 1)
    }

    /// Geometry of the convolution whose adjoint is `convTranspose2d(x, weight, ...)`:
    /// x `[N, Cin, H, W]`, weight `[Cin, Cout, KH, KW]`, output `[N, Cout, (H-1)*s - 2p + KH + op, ...]`.
    static func convTranspose2d(
        input: TensorShape, weight: TensorShape, bias: TensorShape?, stride: Int, padding: Int, outputPadding: Int
    ) throws(TensorError) -> ConvGeometry {
        let op = "convTranspose2d"
        guard input.rank == 4 else {
            throw .shapeMismatch(op: op, shapes: [input], reason: "the input must be [N, C, H, W] (rank 4), got rank \(input.rank)")
        }
        guard weight.rank == 4 else {
            throw .shapeMismatch(op: op, shapes: [input, weight], reason: "the weight must be [Cin, Cout, KH, KW] (rank 4), got rank \(weight.rank)")
        }
        guard input.dims.allSatisfy({ $0 > 0 }), weight.dims.allSatisfy({ $0 > 0 }) else {
            throw .shapeMismatch(op: op, shapes: [input, weight], reason: "every dimension must be positive")
        }
        guard input[1] == weight[0] else {
            throw .shapeMismatch(op: op, shapes: [input, weight], reason: "the input has \(input[1]) channels but the weight expects \(weight[0])")
        }
        if let bias, bias != TensorShape([weight[1]]) {
            throw .shapeMismatch(op: op, shapes: [weight, bias], reason: "the bias must be [\(weight[1])], one value per output channel")
        }
        guard stride >= 1 else { throw .invalidArgument(op: op, reason: "stride must be at least 1, got \(stride)") }
        guard padding >= 0 else { throw .invalidArgument(op: op, reason: "padding must not be negative, got \(padding)") }
        guard outputPadding >= 0, outputPadding < stride else {
            throw .invalidArgument(op: op, reason: "outputPadding must be in 0..<stride (\(stride)), got \(outputPadding)")
        }
        let outH = (input[2] - 1) * stride - 2 * padding + weight[2] + outputPadding
        let outW = (input[3] - 1) * stride - 2 * padding + weight[3] + outputPadding
        guard outH >= 1, outW >= 1 else {
            throw .shapeMismatch(
                op: op, shapes: [input, weight],
                reason: "the output would be \(outH)x\(outW); padding \(padding) is too large for this input and kernel")
        }
        return ConvGeometry(
            batch: input[0], channels: weight[1], height: outH, width: outW, outChannels: weight[0],
            kernelHeight: weight[2], kernelWidth: weight[3], stride: stride, padding: padding,
            outHeight: input[2], outWidth: input[3])
    }
}

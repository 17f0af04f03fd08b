import Tensor

/// A parameter with the name it has in archives (`G_AB.down.0.weight`).
public struct NamedParameter: Sendable {
    public let name: String
    public let tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// Weights drawn from N(0, 0.02²) and zero biases: the CycleGAN reference's `init_type normal`.
enum WeightInit {
    static let standardDeviation = 0.02

    static func parameter<R: RandomNumberGenerator>(shape: [Int], random: inout R) throws(TensorError) -> Tensor {
        let count = shape.reduce(1, *)
        return try Tensor.parameter(shape: TensorShape(shape), scalars: random.normalFloats(count: count, std: standardDeviation))
    }

    static func zeros(shape: [Int]) throws(TensorError) -> Tensor {
        try Tensor.parameter(shape: TensorShape(shape), scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }
}

/// A 2-D convolution with bias and zero padding. Weight `[out, in, k, k]`, bias `[out]`.
public struct Conv2dLayer: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let stride: Int
    public let padding: Int

    /// A layer with N(0, 0.02²) weights and zero bias.
    init<R: RandomNumberGenerator>(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                                   random: inout R) throws(TensorError) {
        weight = try WeightInit.parameter(shape: [outChannels, inChannels, kernel, kernel], random: &random)
        bias = try WeightInit.zeros(shape: [outChannels])
        self.stride = stride
        self.padding = padding
    }

    private init(weight: Tensor, bias: Tensor, stride: Int, padding: Int) {
        (self.weight, self.bias, self.stride, self.padding) = (weight, bias, stride, padding)
    }

    /// `x [N, in, H, W]` to `[N, out, (H + 2p - k) / s + 1, ...]`.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// The same layer with detached (non-trainable) parameters.
    func frozen() -> Conv2dLayer {
        Conv2dLayer(weight: weight.detach(), bias: bias.detach(), stride: stride, padding: padding)
    }

    func parameters(prefix: String) -> [NamedParameter] {
        [NamedParameter(name: prefix + ".weight", tensor: weight), NamedParameter(name: prefix + ".bias", tensor: bias)]
    }
}

/// A 2-D transposed convolution with bias, stride 2, padding 1, output padding 1:
/// doubles H and W. Weight `[in, out, k, k]` (PyTorch layout), bias `[out]`.
public struct ConvTranspose2dLayer: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int

    init<R: RandomNumberGenerator>(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int,
                                   outputPadding: Int, random: inout R) throws(TensorError) {
        weight = try WeightInit.parameter(shape: [inChannels, outChannels, kernel, kernel], random: &random)
        bias = try WeightInit.zeros(shape: [outChannels])
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// `x [N, in, H, W]` to `[N, out, (H-1)s - 2p + k + op, ...]`.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        try convTranspose2d(x, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
    }

    func parameters(prefix: String) -> [NamedParameter] {
        [NamedParameter(name: prefix + ".weight", tensor: weight), NamedParameter(name: prefix + ".bias", tensor: bias)]
    }
}

import Tensor

/// The 70x70 PatchGAN discriminator: C64 (4x4 stride 2, no norm), C128, C256
/// (stride 2, instance norm), C512 (stride 1), then a 4x4 stride-1 convolution
/// to one channel; LeakyReLU 0.2; all convolutions pad 1 with zeros and have biases.
///
/// `ndf` scales the widths (ndf, 2ndf, 4ndf, 8ndf). Input `[N, 3, H, W]`,
/// output `[N, 1, H/8 - 2, W/8 - 2]` (30x30 for 256x256 inputs).
public struct PatchDiscriminator: Sendable {
    /// Filters of the first layer.
    public let ndf: Int
    let layers: [Conv2dLayer]
    let output: Conv2dLayer
    /// The LeakyReLU slope.
    public static let slope: Float = 0.2

    /// A discriminator with N(0, 0.02²) weights and zero biases drawn from
    /// `random` in parameter order (`layers.0` .. `layers.3`, `out`).
    public init<R: RandomNumberGenerator>(ndf: Int, random: inout R) throws(TensorError) {
        self.ndf = ndf
        layers = [
            try Conv2dLayer(inChannels: 3, outChannels: ndf, kernel: 4, stride: 2, padding: 1, random: &random),
            try Conv2dLayer(inChannels: ndf, outChannels: 2 * ndf, kernel: 4, stride: 2, padding: 1, random: &random),
            try Conv2dLayer(inChannels: 2 * ndf, outChannels: 4 * ndf, kernel: 4, stride: 2, padding: 1, random: &random),
            try Conv2dLayer(inChannels: 4 * ndf, outChannels: 8 * ndf, kernel: 4, stride: 1, padding: 1, random: &random),
        ]
        output = try Conv2dLayer(inChannels: 8 * ndf, outChannels: 1, kernel: 4, stride: 1, padding: 1, random: &random)
    }

    private init(ndf: Int, layers: [Conv2dLayer], output: Conv2dLayer) {
        self.ndf = ndf
        self.layers = layers
        self.output = output
    }

    /// Patch scores `[N, 1, H', W']` for images `x [N, 3, H, W]`.
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        var h = leakyRelu(try layers[0](x), slope: Self.slope)
        for layer in layers.dropFirst() {
            h = leakyRelu(try instanceNorm2d(try layer(h)), slope: Self.slope)
        }
        return try output(h)
    }

    /// A copy whose parameters are detached: gradients flow to its input only.
    /// Used for the generator loss, where the discriminators are frozen.
    public func frozen() -> PatchDiscriminator {
        PatchDiscriminator(ndf: ndf, layers: layers.map { $0.frozen() }, output: output.frozen())
    }

    /// The parameters in archive order, named with `prefix` (e.g. `D_A`).
    public func parameters(prefix: String) -> [NamedParameter] {
        var list: [NamedParameter] = []
        for (i, layer) in layers.enumerated() { list += layer.parameters(prefix: "\(prefix).layers.\(i)") }
        return list + output.parameters(prefix: prefix + ".out")
    }
}

import Tensor

/// The CycleGAN ResNet generator (paper section 7.2):
/// c7s1-ngf, d2ngf, d4ngf, `nBlocks` residual blocks of 4ngf, u2ngf, ungf, c7s1-3, tanh.
///
/// Every convolution has a bias and is followed by an instance norm (no affine)
/// and a ReLU except the last (tanh); 7x7 and residual convolutions use
/// reflection padding. Input `[N, 3, H, W]` with H and W multiples of 4, output
/// the same shape in [-1, 1].
public struct ResnetGenerator: Sendable {
    /// Filters of the first layer.
    public let ngf: Int
    /// Number of residual blocks.
    public let nBlocks: Int
    let input: Conv2dLayer
    let down: [Conv2dLayer]
    let blocks: [(a: Conv2dLayer, b: Conv2dLayer)]
    let up: [ConvTranspose2dLayer]
    let output: Conv2dLayer

    /// A generator with N(0, 0.02²) weights and zero biases drawn from `random`
    /// in parameter order (`inp`, `down.0`, `down.1`, `res.0.a`, ..., `up.1`, `out`).
    public init<R: RandomNumberGenerator>(ngf: Int, nBlocks: Int, random: inout R) throws(TensorError) {
        self.ngf = ngf
        self.nBlocks = nBlocks
        input = try Conv2dLayer(inChannels: 3, outChannels: ngf, kernel: 7, random: &random)
        down = [
            try Conv2dLayer(inChannels: ngf, outChannels: 2 * ngf, kernel: 3, stride: 2, padding: 1, random: &random),
            try Conv2dLayer(inChannels: 2 * ngf, outChannels: 4 * ngf, kernel: 3, stride: 2, padding: 1, random: &random),
        ]
        var blocks: [(a: Conv2dLayer, b: Conv2dLayer)] = []
        for _ in 0..<nBlocks {
            let a = try Conv2dLayer(inChannels: 4 * ngf, outChannels: 4 * ngf, kernel: 3, random: &random)
            let b = try Conv2dLayer(inChannels: 4 * ngf, outChannels: 4 * ngf, kernel: 3, random: &random)
            blocks.append((a, b))
        }
        self.blocks = blocks
        up = [
            try ConvTranspose2dLayer(inChannels: 4 * ngf, outChannels: 2 * ngf, kernel: 3, stride: 2, padding: 1,
                                     outputPadding: 1, random: &random),
            try ConvTranspose2dLayer(inChannels: 2 * ngf, outChannels: ngf, kernel: 3, stride: 2, padding: 1,
                                     outputPadding: 1, random: &random),
        ]
        output = try Conv2dLayer(inChannels: ngf, outChannels: 3, kernel: 7, random: &random)
    }

    /// Translates `x [N, 3, H, W]` (H, W multiples of 4) to `[N, 3, H, W]` in [-1, 1].
    public func callAsFunction(_ x: Tensor) throws(TensorError) -> Tensor {
        var h = relu(try instanceNorm2d(try input(try reflectionPad2d(x, 3))))
        for layer in down {
            h = relu(try instanceNorm2d(try layer(h)))
        }
        for block in blocks {
            let inner = relu(try instanceNorm2d(try block.a(try reflectionPad2d(h, 1))))
            h = try add(h, try instanceNorm2d(try block.b(try reflectionPad2d(inner, 1))))
        }
        for layer in up {
            h = relu(try instanceNorm2d(try layer(h)))
        }
        return tanh(try output(try reflectionPad2d(h, 3)))
    }

    /// The parameters in archive order, named with `prefix` (e.g. `G_AB`).
    public func parameters(prefix: String) -> [NamedParameter] {
        var list = input.parameters(prefix: prefix + ".inp")
        for (i, layer) in down.enumerated() { list += layer.parameters(prefix: "\(prefix).down.\(i)") }
        for (i, block) in blocks.enumerated() {
            list += block.a.parameters(prefix: "\(prefix).res.\(i).a")
            list += block.b.parameters(prefix: "\(prefix).res.\(i).b")
        }
        for (i, layer) in up.enumerated() { list += layer.parameters(prefix: "\(prefix).up.\(i)") }
        list += output.parameters(prefix: prefix + ".out")
        return list
    }
}

import Config

/// Analytic floating-point operation counts of CycleGAN's convolutions
/// (2 per multiply-add; norms, activations and losses are not counted).
public enum FlopCount {
    /// One convolution forward: `2 · N · Cout · Cin · K² · Hout · Wout`.
    static func conv(batch: Int, cin: Int, cout: Int, kernel: Int, outSide: Int) -> Double {
        2 * Double(batch) * Double(cout) * Double(cin) * Double(kernel * kernel) * Double(outSide * outSide)
    }

    /// Forward FLOPs of one generator on `batch` images of `size`² (size a multiple of 4),
    /// and of its first layer alone (whose input gradient is never needed for real images).
    public static func generator(_ model: ModelConfig, size: Int, batch: Int) -> (total: Double, firstLayer: Double) {
        let g = model.ngf
        let first = conv(batch: batch, cin: 3, cout: g, kernel: 7, outSide: size)
        var total = first
        total += conv(batch: batch, cin: g, cout: 2 * g, kernel: 3, outSide: size / 2)
        total += conv(batch: batch, cin: 2 * g, cout: 4 * g, kernel: 3, outSide: size / 4)
        total += Double(2 * model.nBlocks) * conv(batch: batch, cin: 4 * g, cout: 4 * g, kernel: 3, outSide: size / 4)
        // Transposed convolutions: every input pixel meets every weight once.
        total += conv(batch: batch, cin: 4 * g, cout: 2 * g, kernel: 3, outSide: size / 4)
        total += conv(batch: batch, cin: 2 * g, cout: g, kernel: 3, outSide: size / 2)
        total += conv(batch: batch, cin: g, cout: 3, kernel: 7, outSide: size)
        return (total, first)
    }

    /// Forward FLOPs of one discriminator on `batch` images of `size`², and of its first layer.
    public static func discriminator(_ model: ModelConfig, size: Int, batch: Int) -> (total: Double, firstLayer: Double) {
        let d = model.ndf
        let first = conv(batch: batch, cin: 3, cout: d, kernel: 4, outSide: size / 2)
        var total = first
        total += conv(batch: batch, cin: d, cout: 2 * d, kernel: 4, outSide: size / 4)
        total += conv(batch: batch, cin: 2 * d, cout: 4 * d, kernel: 4, outSide: size / 8)
        total += conv(batch: batch, cin: 4 * d, cout: 8 * d, kernel: 4, outSide: max(0, size / 8 - 1))
        total += conv(batch: batch, cin: 8 * d, cout: 1, kernel: 4, outSide: max(0, size / 8 - 2))
        return (total, first)
    }

    /// Convolution FLOPs of one full training step on `batch` image pairs:
    /// every forward, every weight gradient of a trained network, and every input
    /// gradient that backpropagation needs (none into real images, none into the
    /// frozen discriminators' weights during the generator pass).
    public static func trainingStep(_ model: ModelConfig, size: Int, batch: Int, identity: Bool = true) -> Double {
        let (g, g1) = generator(model, size: size, batch: batch)
        let (d, d1) = discriminator(model, size: size, batch: batch)
        // Per direction: G(real) = fwd + wgrad + xgrad except layer 1; G(fake) = 3 fwd; frozen D = fwd + xgrad.
        var total = 2 * ((3 * g - g1) + 3 * g + 2 * d)
        if identity { total += 2 * (3 * g - g1) }
        // Discriminator pass: four evaluations on detached images: fwd + wgrad + xgrad except layer 1.
        total += 4 * (3 * d - d1)
        return total
    }
}

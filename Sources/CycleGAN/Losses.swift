/// The weights of CycleGAN's generator loss terms.
public struct LossWeights: Sendable, Equatable, Codable {
    /// λ of the cycle-consistency L1 terms (10 in the paper).
    public var cycle: Float
    /// Identity weight relative to `cycle` (0.5 in the reference; 0 skips the identity forwards).
    public var identity: Float

    public init(cycle: Float = 10, identity: Float = 0.5) {
        self.cycle = cycle
        self.identity = identity
    }
}

/// The generator loss terms of a batch (means over its samples), already
/// multiplied by their weights, as the parity fixtures name them.
public struct GeneratorLosses: Sendable, Equatable, Codable {
    /// `mse(D_B(G_AB(A)), 1)`.
    public var ganAB: Double = 0
    /// `mse(D_A(G_BA(B)), 1)`.
    public var ganBA: Double = 0
    /// `λc · L1(G_BA(G_AB(A)), A)`.
    public var cycleA: Double = 0
    /// `λc · L1(G_AB(G_BA(B)), B)`.
    public var cycleB: Double = 0
    /// `λc · λi · L1(G_AB(B), B)`.
    public var identityA: Double = 0
    /// `λc · λi · L1(G_BA(A), A)`.
    public var identityB: Double = 0

    public init() {}

    /// The generator objective: the sum of the six terms.
    public var total: Double { ganAB + ganBA + cycleA + cycleB + identityA + identityB }

    /// Adds `weight` times `other` (combining micro-batches into a batch mean).
    public mutating func accumulate(_ other: GeneratorLosses, weight: Double) {
        ganAB += weight * other.ganAB
        ganBA += weight * other.ganBA
        cycleA += weight * other.cycleA
        cycleB += weight * other.cycleB
        identityA += weight * other.identityA
        identityB += weight * other.identityB
    }
}

/// The discriminator losses of a batch: `0.5 · (mse(D(real), 1) + mse(D(fake), 0))`.
public struct DiscriminatorLosses: Sendable, Equatable, Codable {
    public var discriminatorA: Double = 0
    public var discriminatorB: Double = 0

    public init() {}

    /// Adds `weight` times `other`.
    public mutating func accumulate(_ other: DiscriminatorLosses, weight: Double) {
        discriminatorA += weight * other.discriminatorA
        discriminatorB += weight * other.discriminatorB
    }
}

/// All losses of one training step.
public struct StepLosses: Sendable, Equatable, Codable {
    public var generator = GeneratorLosses()
    public var discriminator = DiscriminatorLosses()

    public init(generator: GeneratorLosses = GeneratorLosses(), discriminator: DiscriminatorLosses = DiscriminatorLosses()) {
        self.generator = generator
        self.discriminator = discriminator
    }

    /// The eight terms' names as progress lines, `--log-json` and the dashboard show them,
    /// in the order of `values` (the generators' total `G` is their first six's sum).
    public static let names = ["G_gan_AB", "G_gan_BA", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B"]

    /// The eight terms in the order of `names`.
    public var values: [Double] {
        [generator.ganAB, generator.ganBA, generator.cycleA, generator.cycleB, generator.identityA, generator.identityB,
         discriminator.discriminatorA, discriminator.discriminatorB]
    }
}

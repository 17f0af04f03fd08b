import Config
import Tensor

/// Where a run is in its schedule.
public struct TrainingProgress: Sendable, Equatable, Codable {
    /// The epoch in progress or about to start (1-based).
    public var epoch: Int
    /// Steps of `epoch` already completed.
    public var stepInEpoch: Int
    /// Steps completed since the start of the run.
    public var globalStep: Int

    public init(epoch: Int = 1, stepInEpoch: Int = 0, globalStep: Int = 0) {
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.globalStep = globalStep
    }
}

/// Everything besides the parameters that a run needs to continue bit for bit:
/// the configuration, the schedule position, both optimizers and both image pools.
/// (The data order and augmentations are keyed by seed, epoch and sample index,
/// so they need no state of their own.)
public struct TrainingState: Sendable {
    public var config: RunConfig
    public var progress: TrainingProgress
    public var optimizers: CycleGANOptimizers
    /// Pool of generated domain-A images (trains `D_A`).
    public var poolA: ImagePool
    /// Pool of generated domain-B images (trains `D_B`).
    public var poolB: ImagePool

    /// The state at the start of a run: fresh optimizers, empty pools seeded from `config.training.seed`.
    public init(config: RunConfig, model: CycleGANModel) {
        self.config = config
        progress = TrainingProgress()
        optimizers = CycleGANOptimizers(model: model, training: config.training)
        poolA = ImagePool(capacity: config.training.poolSize, seed: Self.poolSeed(config.training.seed, stream: .poolA))
        poolB = ImagePool(capacity: config.training.poolSize, seed: Self.poolSeed(config.training.seed, stream: .poolB))
    }

    public init(config: RunConfig, progress: TrainingProgress, optimizers: CycleGANOptimizers, poolA: ImagePool, poolB: ImagePool) {
        self.config = config
        self.progress = progress
        self.optimizers = optimizers
        self.poolA = poolA
        self.poolB = poolB
    }

    /// Runs `step` on one batch with this state's optimizers and pools.
    /// (One mutating access: passing three properties of a class-held state inout at once would conflict.)
    public mutating func train(_ step: TrainingStep, batchA: [[Float]], batchB: [[Float]], height: Int, width: Int,
                               lr: Double) throws(CycleGANError) -> StepResult {
        try step.run(batchA: batchA, batchB: batchB, height: height, width: width, lr: lr,
                     optimizers: &optimizers, poolA: &poolA, poolB: &poolB)
    }

    static func poolSeed(_ seed: UInt64, stream: RandomStream) -> UInt64 {
        var random = KeyedRandom(seed: seed, keys: [stream.rawValue])
        return random.next()
    }
}

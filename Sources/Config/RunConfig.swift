/// Everything one training run is configured with: the parsed form of `cluster.yaml`.
///
/// Every default here is the original CycleGAN's (or Herd's documented choice), so
/// `RunConfig()` is a valid horse2zebra run. `herd train` and the coordinator both
/// read this; the coordinator sends it to workers, so it is `Codable`.
public struct RunConfig: Sendable, Equatable, Codable {
    /// Run name: checkpoints go to `<checkpoints.directory>/<name>/`.
    public var name: String = "horse2zebra"
    public var data = DataConfig()
    public var model = ModelConfig()
    public var training = TrainingConfig()
    public var validation = ValidationConfig()
    public var checkpoint = CheckpointConfig()
    public var cluster = ClusterSection()
    public var dashboard = DashboardSection()

    public init() {}
}

/// Where the unpaired images come from.
public struct DataConfig: Sendable, Equatable, Codable {
    /// Dataset root in the CycleGAN layout: `ROOT/{trainA,trainB,testA,testB}`.
    public var root: String = "datasets/horse2zebra"
    /// Images are resized (bicubic) so that they are `loadSize` x `loadSize` ...
    public var loadSize: Int = 286
    /// ... then randomly cropped to `cropSize` x `cropSize`.
    public var cropSize: Int = 256
    /// Random horizontal flips.
    public var flip: Bool = true
    public init() {}
}

/// The networks (section 7.2 of the CycleGAN paper).
public struct ModelConfig: Sendable, Equatable, Codable {
    /// Residual blocks in each generator (9 for 256x256, 6 for 128x128).
    public var nBlocks: Int = 9
    /// Filters in the generators' first layer.
    public var ngf: Int = 64
    /// Filters in the discriminators' first layer.
    public var ndf: Int = 64
    public init() {}
}

/// Optimisation and the schedule.
public struct TrainingConfig: Sendable, Equatable, Codable {
    /// Global batch: samples per optimisation step, whatever the number of workers.
    public var batchSize: Int = 1
    /// Samples a worker computes at once (gradients are accumulated), bounding its memory.
    public var microBatch: Int = 1
    /// Epochs at the initial learning rate.
    public var nEpochs: Int = 100
    /// Epochs over which the learning rate decays linearly to zero.
    public var nEpochsDecay: Int = 100
    public var lr: Double = 2e-4
    public var beta1: Double = 0.5
    public var beta2: Double = 0.999
    public var lambdaCycle: Double = 10
    public var lambdaIdentity: Double = 0.5
    /// Image pool capacity per fake domain (0 disables the pool).
    public var poolSize: Int = 50
    /// Seed of every random choice: init, sample order, augmentation, pool.
    public var seed: UInt64 = 1
    /// Kernel threads per process (0: all cores).
    public var threads: Int = 0
    public init() {}
}

/// Per-epoch validation images.
public struct ValidationConfig: Sendable, Equatable, Codable {
    /// How many images of testA and of testB (the first ones by name) to translate.
    public var count: Int = 4
    /// Explicit file names inside testA / testB; overrides `count` when not empty.
    public var imagesA: [String] = []
    public var imagesB: [String] = []
    /// Translate every N epochs (the last epoch always).
    public var everyEpochs: Int = 1
    public init() {}
}

/// Checkpointing.
public struct CheckpointConfig: Sendable, Equatable, Codable {
    /// Root directory of all runs' output.
    public var directory: String = "checkpoints"
    /// Write a checkpoint every N steps (0: only at epoch ends).
    public var everySteps: Int = 500
    /// Keep the newest K checkpoints.
    public var keep: Int = 3
    public init() {}
}

/// The coordinator and its workers.
public struct ClusterSection: Sendable, Equatable, Codable {
    /// Where the coordinator listens for workers, `HOST:PORT`.
    public var listen: String = "0.0.0.0:7070"
    /// File holding the shared cluster token (else the `HERD_TOKEN` environment variable).
    public var tokenFile: String = "herd.token"
    /// Workers needed before step 1.
    public var minWorkers: Int = 1
    /// Heartbeat interval in seconds; a peer silent for 5 intervals (at most 5 s) is dead.
    public var heartbeatSeconds: Double = 1
    /// Replicas compare parameter checksums every N steps.
    public var checksumEverySteps: Int = 10
    public init() {}
}

/// The live dashboard (HTTP).
public struct DashboardSection: Sendable, Equatable, Codable {
    /// `HOST:PORT`, or empty to disable. Non-loopback hosts must be set explicitly.
    public var listen: String = "127.0.0.1:8080"
    public init() {}
}

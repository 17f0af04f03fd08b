/// Everything one training run is configured with: the parsed form of `cluster.yaml`.
///
/// Every default here is the original CycleGAN's (or Herd's documented choice), so
/// `RunConfig()` is a valid horse2zebra run. `herd train` and the coordinator both
/// read this; the coordinator sends it to workers, so it is `Codable`.
public struct RunConfig: Sendable, Equatable, Codable {
    /// Run name: checkpoints go to `<checkpoints.directory>/<name>/`.
    public var name: String = "horse2zebra"
    /// `data:` — the dataset and its augmentation.
    public var data = DataConfig()
    /// `model:` — network sizes.
    public var model = ModelConfig()
    /// `training:` — optimisation and schedule.
    public var training = TrainingConfig()
    /// `validation:` — per-epoch validation images.
    public var validation = ValidationConfig()
    /// `checkpoint:` — where and how often state is saved.
    public var checkpoint = CheckpointConfig()
    /// `cluster:` — coordinator address, token and liveness.
    public var cluster = ClusterSection()
    /// `dashboard:` — the live HTTP dashboard.
    public var dashboard = DashboardSection()

    public init() {}
}

/// Where the unpaired images come from (`data:` in `cluster.yaml`).
public struct DataConfig: Sendable, Equatable, Codable {
    /// Dataset root in the CycleGAN layout: `ROOT/{trainA,trainB,testA,testB}`.
    public var root: String = "datasets/horse2zebra"
    /// Images are resized (bicubic) so that they are `loadSize` x `loadSize` pixels ...
    public var loadSize: Int = 286
    /// ... then randomly cropped to `cropSize` x `cropSize` pixels (a multiple of 4,
    /// at least `RunConfig.minimumCropSize`, at most `loadSize`).
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
    /// Adam learning rate of both optimisers (generators, discriminators) during
    /// the first `nEpochs` epochs; it then decays linearly to 0.
    public var lr: Double = 2e-4
    /// Adam's first-moment decay.
    public var beta1: Double = 0.5
    /// Adam's second-moment decay.
    public var beta2: Double = 0.999
    /// Weight of the cycle-consistency L1 losses (the paper's lambda).
    public var lambdaCycle: Double = 10
    /// Weight of the identity L1 losses, relative to `lambdaCycle`
    /// (identity loss = L1 * lambdaCycle * lambdaIdentity; 0 disables it).
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
    /// Write a checkpoint every N steps and at the end of the run or session (epoch ends do not
    /// count); 0: at every epoch end instead.
    public var everySteps: Int = 500
    /// Keep the newest K checkpoints.
    public var keep: Int = 3
    public init() {}
}

/// The coordinator and its workers.
public struct ClusterSection: Sendable, Equatable, Codable {
    /// Where the coordinator listens for workers, `HOST:PORT` (see `HostPort`).
    public var listen: String = "0.0.0.0:7070"
    /// File holding the shared cluster token (else the `HERD_TOKEN` environment variable).
    public var tokenFile: String = "herd.token"
    /// Workers needed before step 1.
    public var minWorkers: Int = 1
    /// Heartbeat interval in seconds; a peer silent for 5 intervals (at most 4 s) is dead.
    public var heartbeatSeconds: Double = 1
    /// Replicas compare parameter checksums every N steps (at least 1).
    public var checksumEverySteps: Int = 10
    public init() {}
}

/// The live dashboard (HTTP).
public struct DashboardSection: Sendable, Equatable, Codable {
    /// `HOST:PORT`, or empty to disable. Non-loopback hosts must be set explicitly:
    /// the dashboard refuses to bind one unless `cluster.yaml` names
    /// `dashboard.listen` (see `ConfigDocument.names(_:)`).
    public var listen: String = "127.0.0.1:8080"
    public init() {}
}

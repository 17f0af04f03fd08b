import Config
/// How a coordinator runs (from `cluster.yaml`'s `cluster` and `checkpoint` sections and the command line).
public struct CoordinatorOptions: Sendable {
    public var runName: String
    public var listen: HostPort
    /// Workers needed before step 1.
    public var minWorkers: Int
    public var batchSize: Int
    public var heartbeatSeconds: Double
    public var checksumEverySteps: Int
    /// Checkpoint every N steps and at the run's last step (0: at every epoch end instead).
    public var checkpointEverySteps: Int
    /// Validation images every N epochs (and after the last).
    public var validationEveryEpochs: Int
    /// Start from the newest checkpoint.
    public var resume: Bool
    /// The run configuration sent to workers (JSON of `RunConfig`).
    public var configJSON: [UInt8]
    public var maxPayload: Int = Frame.defaultMaxPayload
    /// Stop (without finishing) once this step is committed; for tests and benchmarks.
    public var stopAfterStep: Int?
    /// Least seconds between two progress lines (and `--log-json` lines); epoch ends and the
    /// final step always get one.
    public var progressIntervalSeconds: Double = 1

    public init(runName: String, listen: HostPort, minWorkers: Int, batchSize: Int, heartbeatSeconds: Double,
                checksumEverySteps: Int, checkpointEverySteps: Int, validationEveryEpochs: Int, resume: Bool, configJSON: [UInt8]) {
        self.runName = runName; self.listen = listen; self.minWorkers = max(1, minWorkers); self.batchSize = max(1, batchSize)
        self.heartbeatSeconds = heartbeatSeconds > 0 ? heartbeatSeconds : 1
        self.checksumEverySteps = checksumEverySteps; self.checkpointEverySteps = checkpointEverySteps
        self.validationEveryEpochs = max(1, validationEveryEpochs); self.resume = resume; self.configJSON = configJSON
    }

    /// Test hook: the speeds (samples/s, ring order) the slots of `step` are split by, instead
    /// of the measured ones, given the ring's worker names; nil from the hook: the measured ones.
    public var speedsForStep: (@Sendable (_ step: Int, _ names: [String]) -> [Double]?)?

    /// A peer silent this long is dead (see `HeartbeatPolicy`).
    public var deadAfterSeconds: Double { HeartbeatPolicy.deadAfter(interval: heartbeatSeconds) }
}

/// Controls and observes a running coordinator from other threads.
public final class CoordinatorHandle: Sendable {
    public let status = LockedBox(ClusterStatus())
    let stopFlag = LockedBox(false)
    let boundAddress = LockedBox<HostPort?>(nil)
    public init() {}
    /// Asks the coordinator to stop at the next opportunity (workers are told `bye`).
    public func stop() { stopFlag.set(true) }
    /// The address it listens on, once bound.
    public var address: HostPort? { boundAddress.get() }
}

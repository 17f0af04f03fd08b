import Config
import Foundation
@testable import Cluster

/// Runs a coordinator and workers on threads of the test process over loopback TCP.
final class ToyCluster: @unchecked Sendable {
    let directory = NSTemporaryDirectory() + "herd-cluster-\(UInt64.random(in: 0...UInt64.max))"
    let token = testToken()
    let logs = LockedBox<[String]>([])
    /// The coordinator's `--log-json` lines.
    let jsonLines = LockedBox<[String]>([])
    var coordinatorHandle = CoordinatorHandle()
    var coordinatorDone = DispatchSemaphore(value: 0)
    let coordinatorError = LockedBox<String?>(nil)
    var run: ToyRun!
    var models: [ReplicaModel] = []
    /// The coordinator last started (its state is the coordinator thread's: touch it only from
    /// hooks that run there, such as `CoordinatorOptions.speedsForStep`).
    var coordinator: ClusterCoordinator?
    var workers: [(handle: WorkerHandle, replica: ToyReplica, done: DispatchSemaphore, error: LockedBox<String?>)] = []

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func logger(_ who: String) -> @Sendable (String) -> Void {
        let logs = logs
        return { line in logs.update { $0.append("[\(who)] \(line)") } }
    }

    /// Starts a coordinator; returns its port once it listens.
    @discardableResult
    func startCoordinator(port: Int = 0, resume: Bool = false, minWorkers: Int = 1, stopAfterStep: Int? = nil,
                          checkpointEvery: Int = 2, microBatch: Int = 1, progressInterval: Double = 1,
                          model: RunModel? = nil, batchSize: Int = Toy.batch, configJSON: [UInt8]? = nil,
                          adjust: (inout CoordinatorOptions) -> Void = { _ in }) throws -> Int {
        var options = CoordinatorOptions(runName: "toy", listen: HostPort(host: "127.0.0.1", port: port), minWorkers: minWorkers,
                                         batchSize: batchSize, heartbeatSeconds: 0.2, checksumEverySteps: 2,
                                         checkpointEverySteps: checkpointEvery, validationEveryEpochs: 1, resume: resume,
                                         configJSON: configJSON ?? Toy.config(microBatch: microBatch))
        options.stopAfterStep = stopAfterStep
        options.progressIntervalSeconds = progressInterval
        adjust(&options)
        let toy = ToyRun(directory: directory, microBatch: microBatch)
        self.run = toy
        let run: RunModel = model ?? toy
        let handle = CoordinatorHandle()
        coordinatorHandle = handle
        let done = DispatchSemaphore(value: 0)
        coordinatorDone = done
        let json = jsonLines
        let coordinator = try ClusterCoordinator(options: options, model: run, token: token, handle: handle, log: logger("coordinator"),
                                                 jsonLog: { line in json.update { $0.append(line) } })
        self.coordinator = coordinator
        let box = UncheckedBox(coordinator)
        let errorBox = coordinatorError
        Thread.detachNewThread {
            do { try box.value.run() } catch { errorBox.set("\(error)") }
            done.signal()
        }
        let deadline = Date().addingTimeInterval(5)
        while handle.address == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        guard let address = handle.address else { throw BenchmarkError("coordinator did not listen") }
        return address.port
    }

    /// Starts a worker thread against `port`.
    @discardableResult
    func startWorker(_ name: String, port: Int, token: ClusterToken? = nil, model: ReplicaModel? = nil, fileCacheBytes: Int? = nil,
                     firstPassGradientCount: Int? = nil, onPass: ((ToyReplica, WorkerHandle) -> Void)? = nil) -> Int {
        let handle = WorkerHandle()
        let replica = ToyReplica()
        if let firstPassGradientCount { replica.firstPassGradientCount = firstPassGradientCount }
        if let onPass { replica.onPass = { [unowned replica] in onPass(replica, handle) } }
        let chosen: ReplicaModel = model ?? replica
        if let hooked = model as? HookedReplica, let onPass { hooked.onPass = { onPass(replica, handle) } }
        let done = DispatchSemaphore(value: 0)
        let errorBox = LockedBox<String?>(nil)
        var options = WorkerOptions(coordinator: HostPort(host: "127.0.0.1", port: port), name: name, threads: 1)
        options.ringListen = HostPort(host: "127.0.0.1", port: 0)
        options.heartbeatSeconds = 0.2
        options.maxBackoff = 0.5
        options.giveUpAfter = 20
        if let fileCacheBytes { options.fileCacheBytes = fileCacheBytes }
        let worker = ClusterWorker(options: options, token: token ?? self.token, handle: handle, log: logger(name)) { config in
            replica.microBatch = config.training.microBatch
            return chosen
        }
        let box = UncheckedBox(worker)
        Thread.detachNewThread {
            do { try box.value.run() } catch { errorBox.set("\(error)") }
            done.signal()
        }
        workers.append((handle, replica, done, errorBox))
        models.append(chosen)
        return workers.count - 1
    }

    /// Waits for the coordinator and the workers (not the killed ones) to finish.
    func waitForEnd(timeout: Double = 30) -> Bool {
        guard coordinatorDone.wait(timeout: .now() + timeout) == .success else { return false }
        for w in workers where !w.handle.killFlag.get() {
            guard w.done.wait(timeout: .now() + 10) == .success else { return false }
        }
        return true
    }

    var transcript: String { logs.get().joined(separator: "\n") }
}

/// Moves a non-Sendable object to the one thread that will use it.
struct UncheckedBox<T>: @unchecked Sendable { let value: T; init(_ value: T) { self.value = value } }

/// Largest absolute difference.
func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Wraps a replica to run a hook at every first pass (to make things happen mid-run).
final class HookedReplica: ReplicaModel, @unchecked Sendable {
    let inner: ReplicaModel
    var onPass: (() -> Void)?
    init(_ inner: ReplicaModel) { self.inner = inner }
    var gradientCount: Int { inner.gradientCount }
    var exchangeCount: Int { inner.exchangeCount }
    var lossNames: [String] { inner.lossNames }
    var microBatch: Int { inner.microBatch }
    func load(_ state: ReplicaState) throws { try inner.load(state) }
    func state(step: Int) -> ReplicaState { inner.state(step: step) }
    func resetGradients() { inner.resetGradients() }
    func firstPass(_ samples: [SampleInput], scale: Float) throws -> (exchange: [[Float]], losses: [Double]) {
        onPass?()
        return try inner.firstPass(samples, scale: scale)
    }
    func secondPass(_ samples: [SampleInput], exchanged: [[Float]], scale: Float) throws -> [Double] {
        try inner.secondPass(samples, exchanged: exchanged, scale: scale)
    }
    var firstPassGradientCount: Int { inner.firstPassGradientCount }
    func copyGradients(_ range: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) {
        inner.copyGradients(range, into: destination)
    }
    func replaceGradients(_ range: Range<Int>, with source: UnsafeBufferPointer<Float>) {
        inner.replaceGradients(range, with: source)
    }
    func zeroGradients(_ range: Range<Int>) { inner.zeroGradients(range) }
    func applyUpdate(learningRate: Double) throws { try inner.applyUpdate(learningRate: learningRate) }
    func parameterChecksum() -> UInt32 { inner.parameterChecksum() }
    func renderValidation(_ image: [UInt8], domain: Int) throws -> [UInt8] { try inner.renderValidation(image, domain: domain) }
}

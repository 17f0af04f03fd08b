import Config
import Foundation
@testable import Cluster

/// Runs a coordinator and workers on threads of the test process over loopback TCP.
final class ToyCluster: @unchecked Sendable {
    let directory = NSTemporaryDirectory() + "herd-cluster-\(UInt64.random(in: 0...UInt64.max))"
    let token = testToken()
    let logs = LockedBox<[String]>([])
    var coordinatorHandle = CoordinatorHandle()
    var coordinatorDone = DispatchSemaphore(value: 0)
    let coordinatorError = LockedBox<String?>(nil)
    var run: ToyRun!
    var workers: [(handle: WorkerHandle, replica: ToyReplica, done: DispatchSemaphore, error: LockedBox<String?>)] = []

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func logger(_ who: String) -> @Sendable (String) -> Void {
        let logs = logs
        return { line in logs.update { $0.append("[\(who)] \(line)") } }
    }

    /// Starts a coordinator; returns its port once it listens.
    @discardableResult
    func startCoordinator(port: Int = 0, resume: Bool = false, minWorkers: Int = 1, stopAfterStep: Int? = nil,
                          checkpointEvery: Int = 2, microBatch: Int = 1) throws -> Int {
        var options = CoordinatorOptions(runName: "toy", listen: HostPort(host: "127.0.0.1", port: port), minWorkers: minWorkers,
                                         batchSize: Toy.batch, heartbeatSeconds: 0.2, checksumEverySteps: 2,
                                         checkpointEverySteps: checkpointEvery, validationEveryEpochs: 1, resume: resume,
                                         configJSON: Toy.config(microBatch: microBatch))
        options.stopAfterStep = stopAfterStep
        let run = ToyRun(directory: directory)
        self.run = run
        let handle = CoordinatorHandle()
        coordinatorHandle = handle
        let done = DispatchSemaphore(value: 0)
        coordinatorDone = done
        let coordinator = try ClusterCoordinator(options: options, model: run, token: token, handle: handle, log: logger("coordinator"))
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
    func startWorker(_ name: String, port: Int, token: ClusterToken? = nil, onPass: ((ToyReplica, WorkerHandle) -> Void)? = nil) -> Int {
        let handle = WorkerHandle()
        let replica = ToyReplica()
        if let onPass { replica.onPass = { [unowned replica] in onPass(replica, handle) } }
        let done = DispatchSemaphore(value: 0)
        let errorBox = LockedBox<String?>(nil)
        var options = WorkerOptions(coordinator: HostPort(host: "127.0.0.1", port: port), name: name, threads: 1)
        options.ringListen = HostPort(host: "127.0.0.1", port: 0)
        options.heartbeatSeconds = 0.2
        options.maxBackoff = 0.5
        options.giveUpAfter = 20
        let worker = ClusterWorker(options: options, token: token ?? self.token, handle: handle, log: logger(name)) { _ in replica }
        let box = UncheckedBox(worker)
        Thread.detachNewThread {
            do { try box.value.run() } catch { errorBox.set("\(error)") }
            done.signal()
        }
        workers.append((handle, replica, done, errorBox))
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

import Config
import CycleGAN
import Datasets
import Foundation
import Testing
@testable import Cluster

/// A tiny CycleGAN run (32x32, ngf 4, 1 block, 6 samples, batch 3, 3 epochs = 6 steps) on a synthetic dataset.
final class TinyCycleGAN: @unchecked Sendable {
    let root = NSTemporaryDirectory() + "herd-tiny-\(UInt64.random(in: 0...UInt64.max))"
    var config = RunConfig()

    init() throws {
        try SyntheticDataset.write(to: root + "/data", size: 32, count: 6, seed: 3)
        config.name = "tiny"
        config.data.root = root + "/data"
        config.data.loadSize = 32; config.data.cropSize = 32
        config.model.nBlocks = 1; config.model.ngf = 4; config.model.ndf = 4
        config.training.batchSize = 3; config.training.microBatch = 1
        config.training.nEpochs = 2; config.training.nEpochsDecay = 1
        config.training.poolSize = 2; config.training.seed = 7
        config.validation.count = 1
        config.checkpoint.directory = root + "/checkpoints"; config.checkpoint.everySteps = 2
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var json: [UInt8] { Array((try? JSONEncoder().encode(config)) ?? Data()) }

    /// `herd train`'s engine in this process: the final parameters (G ‖ D) and Adam moments.
    func reference() throws -> [Float] {
        var c = config
        c.checkpoint.directory = root + "/reference"
        let source = try SampleSource(root: c.data.root, data: c.data, seed: c.training.seed)
        let trainer = try Trainer(config: c, source: source, validation: nil, resume: false)
        try trainer.run()
        return CycleGANStateLayout.state(model: trainer.model, optimizers: trainer.state.optimizers, step: 6).values
    }
}

/// Cluster and single-process parameters agree "within float tolerance": the all-reduce sums
/// the workers' partial gradients in ring order, the trainer in slot order, so gradients differ
/// in the last bits; Adam turns that into at most ±lr per step on components whose gradient is
/// ~0 (m/√v flips). So: every value within 2·lr per step, and 99% within 1e-5 (+1e-3 relative).
func agreesWithinFloatTolerance(_ a: [Float], _ b: [Float], lr: Float = 2e-4, steps: Int) -> Bool {
    guard a.count == b.count, !a.isEmpty else { return false }
    let bound = 2 * lr * Float(steps) * 1.01
    var close = 0
    for (x, y) in zip(a, b) {
        let d = abs(x - y)
        if d > bound || d.isNaN { return false }
        if d <= 1e-5 + 1e-3 * abs(y) { close += 1 }
    }
    return Double(close) >= 0.99 * Double(a.count)
}

@Suite(.serialized) struct CycleGANClusterTests {

    @Test(arguments: [1, 2, 3])
    func clusterOfWorkersEqualsHerdTrain(workers: Int) throws {
        let tiny = try TinyCycleGAN()
        let reference = try tiny.reference()
        let cluster = ToyCluster()
        var config = tiny.config
        config.checkpoint.directory = cluster.directory
        let port = try cluster.startCoordinator(minWorkers: workers, model: try CycleGANRun(config: config), batchSize: 3, configJSON: tiny.json)
        for i in 0..<workers { cluster.startWorker("w\(i)", port: port, model: try CycleGANReplica(config: tiny.config)) }
        try #require(cluster.waitForEnd(timeout: 120), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        for (w, model) in zip(cluster.workers, cluster.models) {
            #expect(w.handle.committedStep.get() == 6)
            #expect(agreesWithinFloatTolerance(model.state(step: 6).values, reference, steps: 6),
                    "max difference \(maxDifference(model.state(step: 6).values, reference))")
        }
        // Checkpoints in CycleGAN's format and validation images, all written by the coordinator.
        let run = cluster.directory + "/tiny"
        #expect(FileManager.default.fileExists(atPath: run + "/step-000000006/tensors.f32"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: run + "/val/epoch_003")) ?? []).contains { $0.hasSuffix(".png") })
    }

    @Test func workerJoinsAtStep3AndFirstWorkerKilledAtStep5StillEqualsHerdTrain() throws {
        let tiny = try TinyCycleGAN()
        let reference = try tiny.reference()
        let cluster = ToyCluster()
        var config = tiny.config
        config.checkpoint.directory = cluster.directory
        let port = try cluster.startCoordinator(minWorkers: 1, model: try CycleGANRun(config: config), batchSize: 3, configJSON: tiny.json)
        let joined = LockedBox(false)
        let second = HookedReplica(try CycleGANReplica(config: tiny.config))
        cluster.startWorker("first", port: port, model: HookedReplica(try CycleGANReplica(config: tiny.config))) { _, handle in
            let step = handle.committedStep.get()
            if step >= 2 && !joined.get() {
                joined.set(true)
                cluster.startWorker("second", port: port, model: second) { _, _ in }
                Thread.sleep(forTimeInterval: 1)
            }
            if step >= 4 && cluster.workers.count > 1 && cluster.workers[1].handle.committedStep.get() >= 4 {
                handle.kill()
            }
        }
        try #require(cluster.waitForEnd(timeout: 120), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        #expect(cluster.workers[1].handle.committedStep.get() == 6)
        #expect(agreesWithinFloatTolerance(second.state(step: 6).values, reference, steps: 6), "\(cluster.transcript)")
        #expect(cluster.transcript.contains("dropped everywhere"), "the killed worker's step in flight was dropped")
    }

    /// Finds `name` built next to the test bundle (`.build/release/NAME`).
    static func executable(_ name: String) -> String? {
        var dir = URL(fileURLWithPath: Bundle.main.bundlePath)
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    @Test func coordinatorKilledAfterACheckpointAndResumedFinishesLikeAnUninterruptedRun() throws {
        guard let coordinator = Self.executable("coordinator"), let worker = Self.executable("worker") else {
            Issue.record("coordinator/worker executables not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return
        }
        let tiny = try TinyCycleGAN()
        tiny.config.training.nEpochs = 4; tiny.config.training.nEpochsDecay = 2   // 12 steps
        tiny.config.checkpoint.everySteps = 1
        let port = 20000 + Int.random(in: 0..<20000)
        tiny.config.cluster.listen = "127.0.0.1:\(port)"
        tiny.config.cluster.tokenFile = tiny.root + "/herd.token"
        tiny.config.cluster.minWorkers = 2
        tiny.config.cluster.heartbeatSeconds = 0.2
        tiny.config.dashboard.listen = ""
        try "process-test-token-0123456789\n".write(toFile: tiny.config.cluster.tokenFile, atomically: true, encoding: .utf8)
        let configPath = tiny.root + "/cluster.json"
        try Data(tiny.json).write(to: URL(fileURLWithPath: configPath))

        func spawn(_ path: String, _ args: [String], log: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = args
            FileManager.default.createFile(atPath: log, contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: log)
            p.standardError = p.standardOutput
            try p.run()
            return p
        }
        let coordLog = tiny.root + "/coordinator.log"
        var coord = try spawn(coordinator, ["--config", configPath], log: coordLog)
        let workers = try (0..<2).map { i in
            try spawn(worker, ["--coordinator", "127.0.0.1:\(port)", "--token-file", tiny.config.cluster.tokenFile,
                               "--threads", "1", "--name", "p\(i)"], log: tiny.root + "/worker\(i).log")
        }
        defer { for p in workers + [coord] where p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        // SIGKILL the coordinator right after its first checkpoint.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, coord.isRunning, !((try? String(contentsOfFile: coordLog, encoding: .utf8)) ?? "").contains("checkpoint at step 2") {
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(coord.processIdentifier, SIGKILL)
        coord.waitUntilExit()
        coord = try spawn(coordinator, ["--config", configPath, "--resume"], log: tiny.root + "/coordinator2.log")
        let end = Date().addingTimeInterval(120)
        while coord.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.1) }
        let log2 = (try? String(contentsOfFile: tiny.root + "/coordinator2.log", encoding: .utf8)) ?? ""
        #expect(coord.terminationStatus == 0, "\(log2)")
        #expect(log2.contains("resuming tiny from its checkpoint"), "\(log2)")
        #expect(log2.contains("run finished at step 12"), "\(log2)")
        let workersEnd = Date().addingTimeInterval(15)
        while workers.contains(where: \.isRunning) && Date() < workersEnd { Thread.sleep(forTimeInterval: 0.1) }
        for w in workers { #expect(!w.isRunning && w.terminationStatus == 0, "workers exit when the run is finished") }
        // Same final checkpoint as an uninterrupted single-process run.
        var reference = tiny.config
        reference.checkpoint.directory = tiny.root + "/reference"
        let source = try SampleSource(root: reference.data.root, data: reference.data, seed: reference.training.seed)
        let trainer = try Trainer(config: reference, source: source, validation: nil, resume: false)
        try trainer.run()
        let expected = CycleGANStateLayout.state(model: trainer.model, optimizers: trainer.state.optimizers, step: 12).values
        let resumed = try CycleGANRun(config: tiny.config)
        let state = try #require(try resumed.loadLatestCheckpoint())
        #expect(state.step == 12)
        #expect(agreesWithinFloatTolerance(state.values, expected, steps: 12), "max difference \(maxDifference(state.values, expected))")
    }
}

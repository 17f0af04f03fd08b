import Config
import CycleGAN
import Datasets
import Foundation
import Imaging
import Testing
@testable import Cluster
@testable import CycleGANCluster

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

    /// How many of a replica state's values are parameters (G ‖ D); Adam moments follow.
    var parameterCount: Int {
        guard let model = try? CycleGANModel(architecture: config.model, seed: 0) else { return 0 }
        return model.generators.count + model.discriminators.count
    }

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
/// in the last bits whenever the speed-based split puts slot boundaries elsewhere; Adam turns
/// that into at most ±lr per step on components whose gradient is ~0 (m/√v flips). So: every
/// parameter within 2·lr per step, and 97% of them within 1e-5 (+1e-3 relative) — a wrong
/// sample, pool decision, learning rate or a missing share of the batch moves nearly all of them.
/// Measured on a 12-step resume run whose split changed: 99.4% close from the first differing
/// step on, max difference 7e-4 vs the bound 4.8e-3; 3-worker runs with a drop sit lower.
/// Only the parameters (the first `parameters` values of a replica state) are held to this:
/// the Adam moments that follow them average the GAN's gradients, which amplify a 1e-7
/// difference in the weights to 1e-2 within a few steps (79% of moments within 1e-5 at step 12).
func agreesWithinFloatTolerance(_ a: [Float], _ b: [Float], parameters: Int, lr: Float = 2e-4, steps: Int) -> Bool {
    guard a.count == b.count, parameters > 0, parameters <= a.count else { return false }
    guard a.allSatisfy(\.isFinite) else { return false }
    let bound = 2 * lr * Float(steps) * 1.01
    var close = 0
    for (x, y) in zip(a[0..<parameters], b[0..<parameters]) {
        let d = abs(x - y)
        if d > bound || d.isNaN { return false }
        if d <= 1e-5 + 1e-3 * abs(y) { close += 1 }
    }
    return Double(close) >= 0.97 * Double(parameters)
}

/// The largest difference between two replicas' parameters.
func maxParameterDifference(_ a: [Float], _ b: [Float], parameters: Int) -> Float {
    zip(a.prefix(parameters), b.prefix(parameters)).map { abs($0 - $1) }.max() ?? .nan
}

@Suite(.serialized) struct CycleGANClusterTests {

    /// The second part is reduced in two pieces, `D_A`'s floats then `D_B`'s, so `D_A`'s sum
    /// crosses the ring while `D_B`'s passes run.
    @Test func theSecondPartIsReducedAsD_AThenD_B() throws {
        let tiny = try TinyCycleGAN()
        let replica = try CycleGANReplica(config: tiny.config)
        let g = replica.firstPassGradientCount, n = replica.gradientCount
        let pieces = replica.secondPassPieces
        #expect(pieces.count == 2 && StepGradients.tiles(pieces, g..<n))
        let firstOfB = try #require(replica.model.discriminators.layout.slots.first { $0.name.hasPrefix("D_B.") })
        #expect(pieces[1].lowerBound == g + firstOfB.offset)
        let gradients = StepGradients(staging: GradientStaging(count: n), extras: [], firstPassCount: g, rank: 0, microBatches: 1,
                                      pieces: pieces)
        #expect(gradients.secondPieces == pieces)
    }

    /// `G_AB`'s floats (the front of `[G ‖ D]`) are handed over once, mid-pass, already final:
    /// what the callback sees is what the whole pass leaves there, bit for bit, and zeroing
    /// them in the callback leaves `G_BA`'s part of the gradient as it would have been.
    @Test func generatorABsGradientIsHandedOverFinalBeforeThePassEnds() throws {
        let tiny = try TinyCycleGAN()
        let run = try CycleGANRun(config: tiny.config)
        let inputs = try (0..<2).map { index in
            let spec = try run.sample(epoch: 1, index: index)
            let blobs = try spec.digests.map { digest in try #require(try run.blob(digest: digest)).bytes }
            return SampleInput(slot: index, epoch: 1, index: index, blobs: blobs, digests: spec.digests, plan: spec.plan)
        }
        let plain = try CycleGANReplica(config: tiny.config)
        let early = try CycleGANReplica(config: tiny.config)
        let g = plain.firstPassGradientCount
        let abCount = plain.model.generatorABFloats.count
        #expect(abCount > 0 && abCount < g)

        let expected = try plain.firstPass(inputs, scale: 0.5)
        var handed: [(range: Range<Int>, floats: [Float])] = []
        var exchanged: [[Float]] = []
        let pass = try early.firstPass(inputs, scale: 0.5, exchangeReady: { exchanged = $0 }, gradientsReady: { range, floats in
            handed.append((range, Array(floats)))
            floats.update(repeating: 0)
        })
        #expect(handed.map(\.range) == [0..<abCount])
        #expect(handed.first?.floats.map(\.bitPattern) == plain.gradG[0..<abCount].map(\.bitPattern))
        #expect(early.gradG[0..<abCount].allSatisfy { $0 == 0 })
        #expect(early.gradG[abCount..<g].map(\.bitPattern) == plain.gradG[abCount..<g].map(\.bitPattern))
        #expect(pass.losses == expected.losses && pass.exchange == expected.exchange && exchanged == expected.exchange)
    }

    /// Pieces that do not cut the second part exactly (a model's mistake) fall back to one.
    @Test func piecesThatDoNotTileTheSecondPartBecomeOne() {
        let staging = GradientStaging(count: 100)
        for pieces in [[40..<70, 71..<100], [40..<100, 100..<100], [30..<100], [40..<90], [Range<Int>]()] {
            let gradients = StepGradients(staging: staging, extras: [], firstPassCount: 40, rank: 1, microBatches: 2, pieces: pieces)
            #expect(gradients.secondPieces == [40..<100], "pieces \(pieces)")
        }
        let fine = StepGradients(staging: staging, extras: [], firstPassCount: 40, rank: 1, microBatches: 2, pieces: [40..<55, 55..<100])
        #expect(fine.secondPieces == [40..<55, 55..<100])
    }

    /// The all-reduce reads and writes `[G ‖ D]` through ranges that may cross the boundary;
    /// the generator part the worker sums early is exactly G's gradients.
    @Test func gradientRangesCrossTheGeneratorDiscriminatorBoundary() throws {
        let tiny = try TinyCycleGAN()
        let replica = try CycleGANReplica(config: tiny.config)
        let n = replica.gradientCount, g = replica.firstPassGradientCount
        #expect(g == replica.gradG.count && n == g + replica.gradD.count && g > 0 && g < n)
        let values = (0..<n).map { Float($0 % 1000) * 0.5 - 7 }
        let middle = (g - 5)..<(g + 7)
        values.withUnsafeBufferPointer { all in
            replica.replaceGradients(0..<middle.lowerBound, with: UnsafeBufferPointer(rebasing: all[0..<middle.lowerBound]))
            replica.replaceGradients(middle, with: UnsafeBufferPointer(rebasing: all[middle]))
            replica.replaceGradients(middle.upperBound..<n, with: UnsafeBufferPointer(rebasing: all[middle.upperBound...]))
        }
        #expect(replica.gradG == Array(values[0..<g]) && replica.gradD == Array(values[g...]))
        var copied = [Float](repeating: .nan, count: middle.count)
        copied.withUnsafeMutableBufferPointer { replica.copyGradients(middle, into: $0) }
        #expect(copied == Array(values[middle]))
        var generator = [Float](repeating: .nan, count: g)
        generator.withUnsafeMutableBufferPointer { replica.copyGradients(0..<g, into: $0) }
        #expect(generator == replica.gradG)
    }

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
            let values = model.state(step: 6).values
            let agrees = agreesWithinFloatTolerance(values, reference, parameters: tiny.parameterCount, steps: 6)
            #expect(agrees, "max parameter difference \(maxParameterDifference(values, reference, parameters: tiny.parameterCount))")
        }
        // Checkpoints in CycleGAN's format and validation images, all written by the coordinator.
        let run = cluster.directory + "/tiny"
        #expect(FileManager.default.fileExists(atPath: run + "/step-000000006/tensors.f32"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: run + "/val/epoch_003")) ?? []).contains { $0.hasSuffix(".png") })
        // The grid herd train writes: the A row over the B row, each real | translated | reconstructed.
        for epoch in ["001", "002", "003"] {
            let grid = try ImageCodec.decode(file: run + "/val/epoch_\(epoch)/grid.png")
            #expect(grid.width == 3 * 32 && grid.height == 2 * 32 && grid.channels == 3, "epoch \(epoch): \(grid.width)x\(grid.height)")
        }
        // Each training file crossed the network once per worker, though 3 epochs used it.
        for w in cluster.workers {
            let received = w.handle.filesReceived.get()
            #expect(!received.isEmpty && received.values.allSatisfy { $0 == 1 }, "\(received.values.sorted())")
        }
        let total = cluster.workers.reduce(0) { $0 + $1.handle.filesReceived.get().count }
        #expect(total <= workers * (6 + 6 + 2), "at most every train file and validation image once per worker")
    }

    @Test func workerJoinsAtStep3AndFirstWorkerKilledAtStep5StillEqualsHerdTrain() throws {
        let tiny = try TinyCycleGAN()
        let reference = try tiny.reference()
        let cluster = ToyCluster()
        var config = tiny.config
        config.checkpoint.directory = cluster.directory
        let port = try cluster.startCoordinator(minWorkers: 1, model: try CycleGANRun(config: config), batchSize: 3, configJSON: tiny.json)
        let joined = LockedBox(false)
        let killed = LockedBox(false)
        let second = HookedReplica(try CycleGANReplica(config: tiny.config))
        // Hooks run at each generator pass, i.e. inside a step: a kill there always leaves a
        // step in flight. Both workers' hooks may kill the first one, because the speed-based
        // split can give a worker no slot (and so no generator pass) in a step.
        let killFirstAfterStep4: @Sendable (Int) -> Void = { step in
            guard step >= 4, cluster.workers.count > 1, !killed.update({ k -> Bool in defer { k = true }; return k }) else { return }
            cluster.workers[0].handle.kill()
        }
        cluster.startWorker("first", port: port, model: HookedReplica(try CycleGANReplica(config: tiny.config))) { _, handle in
            let step = handle.committedStep.get()
            if step >= 2 && !joined.get() {
                joined.set(true)
                cluster.startWorker("second", port: port, model: second) { _, secondHandle in
                    killFirstAfterStep4(secondHandle.committedStep.get())
                }
                Thread.sleep(forTimeInterval: 1)
            }
            killFirstAfterStep4(step)
        }
        try #require(cluster.waitForEnd(timeout: 120), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        #expect(cluster.workers[1].handle.committedStep.get() == 6)
        let values = second.state(step: 6).values
        let agrees = agreesWithinFloatTolerance(values, reference, parameters: tiny.parameterCount, steps: 6)
        #expect(agrees, "max parameter difference \(maxParameterDifference(values, reference, parameters: tiny.parameterCount))\n\(cluster.transcript)")
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
        let port = HostPort.randomFixedPort()
        tiny.config.cluster.listen = "127.0.0.1:\(port)"
        tiny.config.cluster.tokenFile = tiny.root + "/herd.token"
        tiny.config.cluster.minWorkers = 2
        tiny.config.cluster.heartbeatSeconds = 0.2
        tiny.config.dashboard.listen = ""
        try "process-test-token-0123456789\n".write(toFile: tiny.config.cluster.tokenFile, atomically: true, encoding: .utf8)
        let configPath = tiny.root + "/cluster.json"
        try Data(tiny.json).write(to: URL(fileURLWithPath: configPath))

        func spawn(_ path: String, _ args: [String], log: String) throws -> Process {
            try LoggedProcess(path, args, log: log).process
        }
        let coordLog = tiny.root + "/coordinator.log"
        var coord = try spawn(coordinator, ["--config", configPath], log: coordLog)
        let workers = try (0..<2).map { i in
            try spawn(worker, ["--coordinator", "127.0.0.1:\(port)", "--token-file", tiny.config.cluster.tokenFile,
                               "--threads", "1", "--name", "p\(i)"] + LoggedProcess.orphanedWorkerExits, log: tiny.root + "/worker\(i).log")
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
        #expect(state.optimizerSteps == [12, 12])
        let agrees = agreesWithinFloatTolerance(state.values, expected, parameters: tiny.parameterCount, steps: 12)
        let log1 = (try? String(contentsOfFile: coordLog, encoding: .utf8)) ?? ""
        #expect(agrees, "max parameter difference \(maxParameterDifference(state.values, expected, parameters: tiny.parameterCount))\n--- first coordinator:\n\(log1)\n--- resumed coordinator:\n\(log2)")
    }
}

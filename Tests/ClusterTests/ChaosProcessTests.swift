import Config
import CycleGAN
import Datasets
import Foundation
import Testing
@testable import Cluster
@testable import CycleGANCluster
#if canImport(Glibc)
import Glibc
#endif

/// Real coordinator and worker processes through a fixed schedule of trouble; the run must end
/// exactly as `herd train` ends, checkpoint and validation images byte for byte.
@Suite(.serialized) struct ChaosProcessTests {
    /// 64 steps at global batch 4 (8 samples: 2 steps an epoch, 32 epochs, validation images every
    /// epoch) with two workers, then: a hot join (step 8), a SIGKILLed worker (16), a SIGSTOPped one
    /// (22, the silently cut machine; thawed at 28, it rejoins), another hot join (34), the
    /// coordinator SIGKILLed (40) and resumed, and another SIGKILLed worker (50).
    @Test func joinsKillsAFrozenWorkerAndACoordinatorRestartEndByteIdenticalToHerdTrain() throws {
        guard let coordinator = CycleGANClusterTests.executable("coordinator"),
              let worker = CycleGANClusterTests.executable("worker") else {
            Issue.record("coordinator/worker executables not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return
        }
        let root = NSTemporaryDirectory() + "herd-chaos-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SyntheticDataset.write(to: root + "/data", size: 32, count: 8, seed: 5)
        var config = RunConfig()
        config.name = "chaos"
        config.data.root = root + "/data"
        config.data.loadSize = 32; config.data.cropSize = 32
        config.model.nBlocks = 1; config.model.ngf = 4; config.model.ndf = 4
        config.training.batchSize = 4; config.training.microBatch = 1
        config.training.nEpochs = 16; config.training.nEpochsDecay = 16   // 64 steps
        config.training.poolSize = 3; config.training.seed = 11
        config.validation.count = 1
        config.checkpoint.directory = root + "/cluster"; config.checkpoint.everySteps = 2
        let port = HostPort.randomFixedPort()
        config.cluster.listen = "127.0.0.1:\(port)"
        config.cluster.tokenFile = root + "/herd.token"
        config.cluster.minWorkers = 2
        config.cluster.heartbeatSeconds = 0.2
        config.dashboard.listen = ""
        try "chaos-test-token-0123456789abcdef\n".write(toFile: config.cluster.tokenFile, atomically: true, encoding: .utf8)
        let configPath = root + "/cluster.json"
        try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: configPath))

        var coord = try LoggedProcess(coordinator, ["--config", configPath], log: root + "/coordinator1.log")
        var workers: [LoggedProcess] = []
        func startWorker(_ i: Int) throws {
            workers.append(try LoggedProcess(worker, ["--coordinator", "127.0.0.1:\(port)", "--token-file", config.cluster.tokenFile,
                                                      "--threads", "1", "--name", "w\(i)"] + LoggedProcess.orphanedWorkerExits, log: root + "/worker\(i).log"))
        }
        defer {
            for w in workers where w.process.isRunning { kill(w.pid, SIGCONT); kill(w.pid, SIGKILL) }
            if coord.process.isRunning { kill(coord.pid, SIGKILL) }
        }
        try startWorker(0)
        try startWorker(1)
        var transcript: String {
            ([coord.text] + workers.map(\.text)).joined(separator: "\n-----\n")
        }
        /// Waits (at most 120 s) until the coordinator has checkpointed step `step` or later.
        func reach(_ step: Int) throws {
            let reached = coord.waitFor(120, every: 0.02) { log in
                log.components(separatedBy: "checkpoint at step ").dropFirst().contains { Int($0.prefix { $0.isNumber }).map { $0 >= step } ?? false }
            }
            try #require(reached, "step \(step) not reached\n\(transcript)")
        }
        try reach(8)
        try startWorker(2)                                    // hot join
        try reach(16)
        kill(workers[0].pid, SIGKILL)                         // a machine switched off
        try reach(22)
        kill(workers[1].pid, SIGSTOP)                         // a machine that locks up
        try reach(28)
        kill(workers[1].pid, SIGCONT)                         // back: it rejoins
        try reach(34)
        try startWorker(3)                                    // another hot join
        try reach(40)
        kill(coord.pid, SIGKILL)                              // the coordinator switched off
        _ = coord.waitForExit(10)
        coord = try LoggedProcess(coordinator, ["--config", configPath, "--resume"], log: root + "/coordinator2.log")
        try reach(50)
        kill(workers[2].pid, SIGKILL)
        #expect(coord.waitForExit(180), "the resumed coordinator did not finish\n\(transcript)")
        #expect(coord.process.terminationStatus == 0 && coord.text.contains("run finished at step 64"), "\(transcript)")

        // herd train with the same config and seed, validation images included.
        var reference = config
        reference.checkpoint.directory = root + "/reference"
        let source = try SampleSource(root: reference.data.root, data: reference.data, seed: reference.training.seed)
        let validation = ValidationSet.load(root: reference.data.root, validation: reference.validation, size: reference.data.cropSize)
        let trainer = try Trainer(config: reference, source: source, validation: validation, resume: false)
        try trainer.run()
        let expected = try CheckpointBytes(run: reference.checkpoint.directory + "/chaos")
        let got = try CheckpointBytes(run: config.checkpoint.directory + "/chaos")
        #expect(got == expected, "the cluster's final checkpoint \(got.path) differs from herd train's\n\(transcript)")
        // Every epoch's validation images, byte for byte.
        let files = FileManager.default
        for epoch in 1...32 {
            let name = String(format: "val/epoch_%03d", epoch)
            let want = try files.contentsOfDirectory(atPath: reference.checkpoint.directory + "/chaos/" + name).filter { $0.hasSuffix(".png") }.sorted()
            let have = (try? files.contentsOfDirectory(atPath: config.checkpoint.directory + "/chaos/" + name).filter { $0.hasSuffix(".png") }.sorted()) ?? []
            #expect(!want.isEmpty && have == want, "epoch \(epoch): \(have) vs \(want)")
            for png in want where have.contains(png) {
                let a = files.contents(atPath: reference.checkpoint.directory + "/chaos/" + name + "/" + png)
                let b = files.contents(atPath: config.checkpoint.directory + "/chaos/" + name + "/" + png)
                #expect(a == b, "epoch \(epoch): \(png) differs")
            }
        }
        #expect(coord.text.contains("resuming chaos from its checkpoint"), "\(transcript)")
    }
}

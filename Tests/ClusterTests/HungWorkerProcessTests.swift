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

/// A child process whose standard output and error go to a log file the test polls.
final class LoggedProcess {
    let process = Process()
    let log: String

    init(_ executable: String, _ arguments: [String], log: String) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = process.standardOutput
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }

    /// Worker arguments for tests: a worker that a crashed test process leaves behind (no
    /// `defer` runs then) exits on its own once no coordinator has answered for 2 minutes.
    static let orphanedWorkerExits = ["--give-up-after", "120"]
    var text: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Polls the log until `predicate` holds (true) or `seconds` pass (false).
    func waitFor(_ seconds: Double, every: Double = 0.01, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if predicate(text) { return true }
            Thread.sleep(forTimeInterval: every)
        }
        return predicate(text)
    }

    /// Waits for the process to exit; false when it still runs after `seconds`.
    func waitForExit(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return !process.isRunning
    }
}

extension String {
    /// How many times `needle` occurs.
    func occurrences(of needle: String) -> Int { components(separatedBy: needle).count - 1 }
}

@Suite(.serialized) struct HungWorkerProcessTests {
    /// The issue's "worker hangs" case with real processes: SIGSTOP freezes a worker without
    /// closing any socket (the kernel still acknowledges bytes sent to it), like a machine that
    /// locks up. Only the missing heartbeats can reveal it.
    @Test func aFrozenWorkerIsDroppedWithin5sTheOthersRedoItsStepAndAfterThawingItRejoinsWithoutCorruptingTheRun() throws {
        guard let coordinator = CycleGANClusterTests.executable("coordinator"),
              let worker = CycleGANClusterTests.executable("worker") else {
            Issue.record("coordinator/worker executables not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return
        }
        let tiny = try TinyCycleGAN()
        tiny.config.training.nEpochs = 4; tiny.config.training.nEpochsDecay = 2   // 12 steps of 2 per epoch (the tolerance's range)
        tiny.config.validation.everyEpochs = 100   // only after the last epoch: the coordinator waits on no worker mid-run
        tiny.config.checkpoint.everySteps = 0
        let port = HostPort.randomFixedPort()
        tiny.config.cluster.listen = "127.0.0.1:\(port)"
        tiny.config.cluster.tokenFile = tiny.root + "/herd.token"
        tiny.config.cluster.minWorkers = 3
        tiny.config.cluster.heartbeatSeconds = 1   // the default: the 5 s promise must hold with it
        tiny.config.cluster.checksumEverySteps = 1   // a replica that applied a half-reduced gradient shows at once
        tiny.config.dashboard.listen = ""
        try "hung-worker-test-token-0123456789\n".write(toFile: tiny.config.cluster.tokenFile, atomically: true, encoding: .utf8)
        let configPath = tiny.root + "/cluster.json"
        try Data(tiny.json).write(to: URL(fileURLWithPath: configPath))

        let coord = try LoggedProcess(coordinator, ["--config", configPath], log: tiny.root + "/coordinator.log")
        let workers = try (0..<3).map { i in
            try LoggedProcess(worker, ["--coordinator", "127.0.0.1:\(port)", "--token-file", tiny.config.cluster.tokenFile,
                                       "--threads", "1", "--name", "p\(i)", "--verbose"] + LoggedProcess.orphanedWorkerExits, log: tiny.root + "/worker\(i).log")
        }
        let frozen = workers[1]
        var thawed = false
        defer {
            if !thawed { kill(frozen.pid, SIGCONT) }
            for p in workers + [coord] where p.process.isRunning { kill(p.pid, SIGKILL) }
        }
        func transcript() -> String {
            "--- coordinator:\n\(coord.text)" + workers.enumerated().map { "\n--- worker p\($0.offset):\n\($0.element.text)" }.joined()
        }

        // Freeze p1 while step 3 is surely in flight: it has the plan and has not reported its sum.
        try #require(frozen.waitFor(60) { $0.contains("step 3: computing") }, "p1 never started step 3\n\(transcript())")
        kill(frozen.pid, SIGSTOP)
        let frozenAt = Date()
        let detected = coord.waitFor(15) { $0.contains("worker p1 left") }
        let detectionSeconds = Date().timeIntervalSince(frozenAt)
        try #require(detected, "the frozen worker was never dropped\n\(transcript())")
        #expect(detectionSeconds < 5, "detected after \(detectionSeconds) s")
        // The step in flight is dropped everywhere; its redo is planned at once, for p0 and p2 only.
        try #require(coord.waitFor(5) { $0.contains("step 3 dropped everywhere (worker p1 left)") }, "\(transcript())")
        for i in [0, 2] {
            #expect(workers[i].waitFor(10) { $0.contains("step 3 dropped by the coordinator: worker p1 left") }, "\(transcript())")
        }

        // Thaw p1 (9 steps before the end): it must find out at once that it was dropped (its
        // coordinator connection is closed, so its step attempt is over) and rejoin from the committed state.
        kill(frozen.pid, SIGCONT)
        thawed = true
        #expect(frozen.waitFor(30) { $0.contains("lost the coordinator") }, "\(transcript())")
        #expect(coord.waitFor(30) { $0.occurrences(of: "worker p1 joined") == 2 }, "p1 did not rejoin\n\(transcript())")

        try #require(coord.waitForExit(90), "the run did not finish\n\(transcript())")
        #expect(coord.process.terminationStatus == 0, "\(transcript())")
        #expect(coord.text.contains("run finished at step 12"), "\(transcript())")
        #expect(!coord.text.contains("ERROR"), "replicas diverged\n\(transcript())")
        for (i, w) in workers.enumerated() {
            #expect(w.waitForExit(20) && w.process.terminationStatus == 0, "worker p\(i) did not exit cleanly\n\(transcript())")
        }

        // Same parameters as `herd train` with the same config.
        var reference = tiny.config
        reference.checkpoint.directory = tiny.root + "/reference"
        let source = try SampleSource(root: reference.data.root, data: reference.data, seed: reference.training.seed)
        let trainer = try Trainer(config: reference, source: source, validation: nil, resume: false)
        try trainer.run()
        let expected = CycleGANStateLayout.state(model: trainer.model, optimizers: trainer.state.optimizers, step: 12).values
        let state = try #require(try CycleGANRun(config: tiny.config).loadLatestCheckpoint())
        #expect(state.step == 12)
        #expect(state.optimizerSteps == [12, 12])
        let agrees = agreesWithinFloatTolerance(state.values, expected, parameters: tiny.parameterCount, steps: 12)
        #expect(agrees, "max parameter difference \(maxParameterDifference(state.values, expected, parameters: tiny.parameterCount))\n\(transcript())")
    }
}

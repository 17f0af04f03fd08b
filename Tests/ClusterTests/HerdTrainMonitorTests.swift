import Cluster
import Config
import Foundation
import Sockets
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `herd train` serves the coordinator's dashboard (this process as the run's one worker),
/// appends the coordinator's `--log-json` lines, and holds its run directory against a second
/// run; Ctrl-C and `--resume` continue the same log.
@Suite(.serialized) struct HerdTrainMonitorTests {
    @Test func theProgressLineIsTheCoordinatorsWithoutClusterColumnsForOneLocalWorker() {
        var status = ClusterStatus()
        status.epoch = 2; status.totalEpochs = 10; status.step = 17; status.totalSteps = 400
        status.samplesPerSecond = 0.66; status.etaSeconds = 595; status.learningRate = 2e-4
        status.lossNames = ["G_gan_AB", "D_B"]; status.losses = [1.2214, 0.5]
        status.workers = [ClusterStatus.Worker(id: 1, name: "desk", address: "10.0.0.2:7070", state: "training", slots: 1, share: 1,
                                               stepSeconds: 1.5, allReduceSeconds: 0.1, sendMBps: 10, receiveMBps: 9)]
        let head = "epoch 2/10 step 17/400  0.66 samples/s  ETA 9m55s  lr 2.00e-04  G_gan_AB 1.221 D_B 0.500"
        #expect(status.progressLine.hasPrefix(head + "  allreduce 0.000s (+0.000s waiting)  workers: desk 100% 1.50s 10.0/9.0MB/s"))
        status.workers[0].address = ClusterStatus.localAddress
        #expect(status.progressLine == head)
    }

    /// SIGTERM (what `kill` and service managers send) stops `herd train` like Ctrl-C: status
    /// 143, the step reached, the command that resumes, and the dashboard's snapshot.
    @Test func sigtermStopsHerdTrainWithTheResumeNoticeAndStatus143() throws {
        guard let (herd, tiny, configPath, runDirectory) = try Self.tinyRun(checkpointEvery: 4) else { return }
        let run = try LoggedProcess(herd, ["train", "--config", configPath, "--threads", "1"], log: tiny.root + "/train.log")
        defer { if run.process.isRunning { kill(run.pid, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, run.process.isRunning, !run.text.contains("checkpoint \(runDirectory)/step-000000008") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(run.process.isRunning, "the run ended too soon for the test:\n\(run.text)")
        kill(run.pid, SIGTERM)
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == 143, "\(run.text)")
        #expect(run.text.contains("Resume from the last checkpoint, \(runDirectory)/step-"), "\(run.text)")
        #expect(run.text.contains("with: herd train --config \(configPath) --resume"), "\(run.text)")
        #expect(FileManager.default.fileExists(atPath: runDirectory + "/dashboard.html"), "\(run.text)")
    }

    /// The `herd` executable and a tiny run of 200 steps (seconds) with a dashboard, its
    /// configuration written to `run.json`; nil (recorded as an issue) without the executable.
    static func tinyRun(checkpointEvery: Int, validationEvery: Int = 1) throws
        -> (herd: String, tiny: TinyCycleGAN, configPath: String, runDirectory: String)? {
        guard let herd = CycleGANClusterTests.executable("herd") else {
            Issue.record("herd executable not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return nil
        }
        let tiny = try TinyCycleGAN()
        tiny.config.training.nEpochs = 50; tiny.config.training.nEpochsDecay = 50
        tiny.config.validation.everyEpochs = validationEvery
        tiny.config.checkpoint.everySteps = checkpointEvery
        tiny.config.dashboard.listen = "127.0.0.1:0"
        let configPath = tiny.root + "/run.json"
        try Data(tiny.json).write(to: URL(fileURLWithPath: configPath))
        return (herd, tiny, configPath, tiny.config.checkpoint.directory + "/tiny")
    }

    @Test func herdTrainServesTheDashboardWritesLogJSONAndKeepsOthersOutOfItsRunDirectory() throws {
        guard let (herd, tiny, configPath, runDirectory) = try Self.tinyRun(checkpointEvery: 20, validationEvery: 25) else { return }
        let logJSON = tiny.root + "/run.jsonl"

        let first = try LoggedProcess(herd, ["train", "--config", configPath, "--log-json", logJSON, "--threads", "1"],
                                      log: tiny.root + "/train1.log")
        defer { if first.process.isRunning { kill(first.pid, SIGKILL) } }
        // The dashboard's address, then a few steps.
        var port: Int?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, first.process.isRunning, port == nil || !first.text.contains("step 30/") {
            if port == nil, let range = first.text.range(of: #"dashboard: http://127\.0\.0\.1:[0-9]+/"#, options: .regularExpression) {
                port = Int(first.text[range].dropFirst("dashboard: http://127.0.0.1:".count).dropLast())
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let dashboardPort = try #require(port, "no dashboard line:\n\(first.text)")
        // The coordinator's progress line, without the cluster's all-reduce and worker columns.
        #expect(first.text.contains(#/step 30/200  [0-9.]+ samples/s  ETA \S+  lr 2\.00e-04  G_gan_AB [0-9.]+ /#), "\(first.text)")
        #expect(!first.text.contains("allreduce"))
        try #require(first.process.isRunning, "the run ended too soon for the test:\n\(first.text)")

        // The dashboard copies the status twice a second: poll until it has a step (bounded).
        var status: [String: Any] = [:]
        let statusDeadline = Date().addingTimeInterval(10)
        repeat {
            let body = try #require(HTTPClient.get(host: "127.0.0.1", port: dashboardPort, path: "/api/status", timeout: 5))
            status = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
            if (status["globalStep"] as? Int ?? 0) >= 1 { break }
            Thread.sleep(forTimeInterval: 0.1)
        } while Date() < statusDeadline
        #expect(status["runName"] as? String == "tiny")
        #expect(status["phase"] as? String == "training")
        #expect((status["globalStep"] as? Int ?? 0) >= 1)
        let workers = status["workers"] as? [[String: Any]] ?? []
        #expect(workers.count == 1 && (workers.first?["name"] as? String ?? "").hasPrefix("this process"), "\(workers)")

        // A second run in the same directory is refused, even with --fresh, naming the first.
        let second = try LoggedProcess(herd, ["train", "--config", configPath, "--fresh", "--threads", "1"], log: tiny.root + "/train2.log")
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 1)
        #expect(second.text.contains("\(runDirectory) is in use by another run (process \(first.pid))"), "\(second.text)")
        #expect(first.process.isRunning, "the first run goes on")

        kill(first.pid, SIGINT)
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 130, "\(first.text)")
        #expect(first.text.contains("Resume from the last checkpoint, \(runDirectory)/step-"), "\(first.text)")
        // Ctrl-C saves the dashboard's snapshot before the process exits.
        #expect(first.text.contains("dashboard snapshot: \(runDirectory)/dashboard.html"), "\(first.text)")
        #expect(FileManager.default.fileExists(atPath: runDirectory + "/dashboard.html"), "saved on Ctrl-C")
        let stoppedLines = try String(contentsOfFile: logJSON, encoding: .utf8).split(separator: "\n").count

        // The resumed run finds its dashboard address taken: it says so and trains without it.
        let taken = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 1)
        defer { close(taken.fd) }
        tiny.config.dashboard.listen = "127.0.0.1:\(taken.port)"
        try Data(tiny.json).write(to: URL(fileURLWithPath: configPath))
        let resumed = try LoggedProcess(herd, ["train", "--config", configPath, "--resume", "--log-json", logJSON, "--threads", "1"],
                                        log: tiny.root + "/train3.log")
        defer { if resumed.process.isRunning { kill(resumed.pid, SIGKILL) } }
        let end = Date().addingTimeInterval(120)
        while resumed.process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.1) }
        #expect(resumed.process.terminationStatus == 0, "\(resumed.text)")
        #expect(resumed.text.contains("run 'tiny' finished; translate with: herd translate --checkpoint \(runDirectory)/latest"),
                "\(resumed.text)")
        #expect(resumed.text.contains("dashboard: not started: "), "\(resumed.text)")
        #expect(resumed.text.contains("training goes on without it"), "\(resumed.text)")
        #expect(FileManager.default.fileExists(atPath: runDirectory + "/dashboard.html"), "saved at epoch ends")

        // The log goes on across the stop: every step's line, the resumed steps again.
        let lines = try String(contentsOfFile: logJSON, encoding: .utf8).split(separator: "\n").map { StepLogLine.parse($0) }
        #expect(lines.count > stoppedLines)
        #expect(!lines.contains(nil), "every line parses as the coordinator's")
        let steps = lines.compactMap { $0 }.filter { $0.type == "step" }
        #expect(Set(steps.map(\.step)) == Set(1...200))
        #expect(steps.last?.step == 200)
        #expect(steps.allSatisfy { $0.losses?.count == 8 && $0.workers?.count == 1 && $0.samples == 3 })
        let events = lines.compactMap { $0 }.filter { $0.type == "event" }.compactMap(\.text)
        #expect(events.contains("checkpoint \(runDirectory)/step-000000200"), "\(events.suffix(3))")
        #expect(events.contains { $0.hasPrefix("validation images of epoch 100") }, "\(events.suffix(3))")
    }
}

import Cluster
import Config
import Console
import CycleGAN
import Datasets
import Foundation

/// One `herd bench cluster` setting: a synthetic dataset and a run configuration in a scratch
/// directory, and runs of the real `coordinator` and `worker` executables (found next to
/// `herd`) on it, over loopback or each process in its own `home-lan.sh` namespace.
struct ClusterBench {
    /// Scratch files; every process's output goes to a file here.
    let directory: String
    /// `home-lan.sh`, or nil for loopback.
    let lan: String?
    let threads: Int
    let steps: Int
    let rounds: Int
    let config: RunConfig
    private let executables: URL

    /// What one run measured.
    struct Result {
        /// Samples per second over the steps after the first.
        var rate: Double
        /// Each step's all-reduce seconds, the first step left out.
        var reduce: [Double]
        /// Mean seconds at the barrier waiting for the slowest member, the first step left out.
        var wait: Double
        /// `StepLogLine.timeShares` of the steps after the first.
        var computePerSample: Double
        var beyondCompute: Double

        /// "compute X s per sample, Y s per step beyond the slowest worker's".
        var timeShares: String {
            String(format: "compute %.3f s per sample, %.3f s per step beyond the slowest worker's", computePerSample, beyondCompute)
        }
    }

    /// Writes the dataset (`batch × steps` pairs), the configuration and the token.
    init(directory: String, lan: String?, threads: Int, steps: Int, rounds: Int,
         size: Int, batch: Int, ngf: Int, blocks: Int) throws {
        self.directory = directory; self.lan = lan
        self.threads = threads; self.steps = steps; self.rounds = rounds
        try SyntheticDataset.write(to: directory + "/data", size: size, count: batch * steps, seed: 1)
        var config = RunConfig()
        config.name = "bench"
        config.data.root = directory + "/data"
        config.data.loadSize = size; config.data.cropSize = size
        config.model.ngf = ngf; config.model.ndf = ngf
        config.model.nBlocks = blocks
        config.training.batchSize = batch; config.training.nEpochs = 1; config.training.nEpochsDecay = 0
        config.validation.count = 0
        config.checkpoint.directory = directory + "/checkpoints"; config.checkpoint.everySteps = 0
        config.cluster.tokenFile = directory + "/herd.token"
        config.dashboard.listen = ""
        try "bench-cluster-token-0123456789\n".write(toFile: config.cluster.tokenFile, atomically: true, encoding: .utf8)
        self.config = config
        executables = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// One run with `workers` workers (`round` names its files), showing its steps as they go.
    func measure(workers n: Int, round: Int) throws -> Result {
        let tag = round == 1 ? "\(n)" : "\(n)-round\(round)"
        var c = config
        c.cluster.minWorkers = n
        c.checkpoint.directory = directory + "/checkpoints-\(tag)"
        c.cluster.listen = (lan == nil ? "127.0.0.1" : "10.77.0.1") + ":\(HostPort.randomFixedPort())"
        let configPath = directory + "/cluster-\(tag).json"
        try JSONEncoder().encode(c).write(to: URL(fileURLWithPath: configPath))
        let log = directory + "/status-\(tag).jsonl"
        let coordinator = try spawn("coordinator", host: 0, output: "coordinator-\(tag).log", ["--config", configPath, "--fresh", "--log-json", log])
        let workers = try (0..<n).map { i in
            try spawn("worker", host: i + 1, output: "worker-\(tag)-\(i).log",
                      ["--coordinator", c.cluster.listen, "--token-file", c.cluster.tokenFile, "--threads", String(threads), "--name", "bench\(i)"])
        }
        // A run takes minutes: show its steps as the coordinator logs them.
        let label = (n == 1 ? "  1 worker" : "  \(n) workers") + (rounds > 1 ? " (round \(round)/\(rounds))" : "")
        let progress = Progress(label, total: steps, lineInterval: 0)
        progress.update(0, detail: "starting the processes, sending the state")
        var shown = 0
        while coordinator.isRunning {
            Thread.sleep(forTimeInterval: 0.5)
            if let status = Self.steps(in: log).last, status.step > shown {
                shown = status.step
                var detail = String(format: "%.3f samples/s", status.samplesPerSecond ?? 0)
                if n > 1 { detail += String(format: ", all-reduce %.3f s", status.allReduceSeconds ?? 0) }
                progress.update(min(shown, steps), detail: detail)
            }
        }
        progress.finish()
        workers.forEach { $0.waitUntilExit() }
        guard let result = Self.result(of: Self.steps(in: log), batch: c.training.batchSize) else {
            throw noStep(workers: n, coordinator: coordinator, tag: tag)
        }
        return result
    }

    /// Why a run reported no step: the coordinator's exit status and last words (a worker's
    /// when the coordinator said nothing), and on the simulated LAN how to bring it up.
    private func noStep(workers n: Int, coordinator: Process, tag: String) -> BenchmarkError {
        let outputs = ["coordinator-\(tag).log"] + (0..<n).map { "worker-\(tag)-\($0).log" }
        let said = outputs.lazy.compactMap { name -> String? in
            let text = (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").last(where: { !$0.allSatisfy(\.isWhitespace) }).map { "\(name): \($0)" }
        }.first
        var message = "the run with \(n) worker(s) reported no step: the coordinator "
            + (coordinator.isRunning ? "is still running" : "exited with status \(coordinator.terminationStatus)")
            + (said.map { "; last output, \($0)" } ?? "; no process printed anything")
        if let lan, said?.contains("namespace") == true {
            message += ". The simulated LAN is not up: run 'sudo \(lan) up \(n + 1)' first"
        }
        return BenchmarkError(message)
    }

    /// The figures of a run from its coordinator's step lines; nil when there is none.
    static func result(of statuses: [StepLogLine], batch: Int) -> Result? {
        guard let last = statuses.last else { return nil }
        // Skip the first step (warm-up, state transfer) for the all-reduce figures.
        let later = statuses.count > 1 ? Array(statuses.dropFirst()) : statuses
        // Steady-state throughput: the steps after the first (which also pays for the first
        // file transfers, decodes and ring links), as `herd bench step` skips its warm-up step.
        var rate = last.samplesPerSecond ?? 0
        if let first = statuses.first(where: { $0.step >= 1 }), last.step > first.step,
           let t1 = last.trainingSeconds, let t0 = first.trainingSeconds, t1 > t0 {
            rate = Double((last.step - first.step) * batch) / (t1 - t0)
        }
        let shares = StepLogLine.timeShares(later) ?? (0, 0)
        return Result(rate: rate, reduce: later.map { $0.allReduceSeconds ?? 0 }, wait: mean(later.map { $0.allReduceWaitSeconds ?? 0 }),
                      computePerSample: shares.computePerSample, beyondCompute: shares.beyondCompute)
    }

    /// The mean of `values` (0 for none).
    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }

    /// The coordinator's step lines in `log` so far.
    static func steps(in log: String) -> [StepLogLine] {
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        return lines.compactMap { StepLogLine.parse($0) }.filter { $0.type == "step" }
    }

    /// Starts executable `name` on host `host` (0: the coordinator's), in its namespace with `lan`.
    private func spawn(_ name: String, host: Int, output: String, _ arguments: [String]) throws -> Process {
        let p = Process()
        let binary = executables.appendingPathComponent(name)
        if let lan {
            p.executableURL = URL(fileURLWithPath: lan)
            p.arguments = ["run", String(host), binary.path] + arguments
        } else {
            p.executableURL = binary
            p.arguments = arguments
        }
        if FileManager.default.createFile(atPath: directory + "/" + output, contents: nil),
           let file = FileHandle(forWritingAtPath: directory + "/" + output) {
            p.standardOutput = file
            p.standardError = file
        } else {
            p.standardOutput = FileHandle.nullDevice
        }
        try p.run()
        return p
    }
}

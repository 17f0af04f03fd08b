import Config
import Console
import Datasets
import Foundation

/// Errors of `herd demo`.
enum DemoError: Error, CustomStringConvertible {
    case executableNotFound
    case coordinatorNotListening(address: String, seconds: Int)
    case coordinatorFailed(status: Int32, log: String)
    case cannotLaunch(String, reason: String)

    var description: String {
        switch self {
        case .executableNotFound:
            return "cannot find the herd executable itself (/proc/self/exe) to start the coordinator and workers"
        case .coordinatorNotListening(let address, let seconds):
            return "the coordinator did not start listening on \(address) within \(seconds) s"
        case .coordinatorFailed(let status, let log):
            return "the coordinator exited with status \(status); its log is \(log)"
        case .cannotLaunch(let what, let reason):
            return "cannot start \(what): \(reason)"
        }
    }
}

/// One run of the demo: prepares data, token and config, then drives the processes.
struct DemoRun {
    let options: DemoOptions
    let runName = "demo"
    let dataRoot = "datasets/demo"
    let checkpoints = "checkpoints"

    var runDirectory: String { "\(checkpoints)/\(runName)" }
    var logDirectory: String { "\(runDirectory)/logs" }
    var configPath: String { "\(runDirectory)/demo.yaml" }
    var tokenPath: String { "\(runDirectory)/demo.token" }

    /// The demo's training configuration: a tiny CycleGAN that visibly learns
    /// the stripes on two cores within minutes.
    func config(coordinatorPort: Int, dashboardPort: Int) -> RunConfig {
        var config = RunConfig()
        config.name = runName
        config.data.root = dataRoot
        config.data.loadSize = 36
        config.data.cropSize = 32
        config.model.nBlocks = 3
        config.model.ngf = 16
        config.model.ndf = 16
        config.training.batchSize = 4
        // Micro-batches of one: the 4 slots of a step are split among the workers (whole
        // micro-batches only), so every worker computes a part of each step.
        config.training.microBatch = 1
        config.training.nEpochs = options.epochs / 2
        config.training.nEpochsDecay = options.epochs - options.epochs / 2
        config.training.lr = 1e-3
        config.training.seed = 7
        config.training.threads = 1
        config.validation.count = 4
        config.checkpoint.directory = checkpoints
        config.checkpoint.everySteps = 0
        config.checkpoint.keep = 2
        config.cluster.listen = "127.0.0.1:\(coordinatorPort)"
        config.cluster.tokenFile = tokenPath
        config.cluster.minWorkers = options.workers
        config.dashboard.listen = "\(options.dashboardHost):\(dashboardPort)"
        return config
    }

    func run() throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: runDirectory)
        try fm.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)

        print("[1/4] Generating the synthetic dataset in \(dataRoot) (\(options.images) training images per domain)")
        let progress = Progress("  synthesizing", total: 1)
        try SyntheticDataset.write(to: dataRoot, size: 32, count: options.images, seed: 7) { done, total in
            progress.update(done * 1 / max(total, 1) == 1 ? 1 : 0)
        }
        progress.finish()

        print("[2/4] Generating a cluster token in \(tokenPath)")
        try ClusterToken.generate().write(to: tokenPath)
        let port = try LocalPorts.free()
        let dashboardPort = try options.dashboardPort ?? LocalPorts.free()
        let config = config(coordinatorPort: port, dashboardPort: dashboardPort)
        try config.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)

        guard let herd = LocalProcesses.selfExecutable() else { throw DemoError.executableNotFound }
        let address = "127.0.0.1:\(port)"
        print("[3/4] Starting the coordinator on \(address) and \(options.workers) workers (separate processes)")
        print("      dashboard: http://\(options.dashboardHost):\(dashboardPort)/")
        var coordinatorArguments = ["coordinator", "--config", configPath]
        if options.keepRunning { coordinatorArguments.append("--keep-running") }
        let coordinator = try LocalProcesses.launch(herd, coordinatorArguments, log: nil)
        guard LocalPorts.waitUntilListening(port: port, seconds: 30) else {
            coordinator.terminate()
            throw DemoError.coordinatorNotListening(address: address, seconds: 30)
        }
        var workers: [Process] = []
        for index in 1...options.workers {
            workers.append(try startWorker(herd, index: index, address: address))
        }
        defer { for worker in workers where worker.isRunning { worker.terminate() } }

        if options.hotJoin {
            // Join once a third of the run is done, so the join happens mid-training.
            let joinIndex = options.workers + 1
            let joinThread = Thread {
                let deadline = Date().addingTimeInterval(600)
                while coordinator.isRunning && Date() < deadline {
                    if let status = DemoStatus.fetch(port: dashboardPort), status.progress >= 1.0 / 3.0 { break }
                    Thread.sleep(forTimeInterval: 1)
                }
                guard coordinator.isRunning else { return }
                print("[demo] hot join: starting worker-\(joinIndex) while training runs")
                _ = try? startWorker(herd, index: joinIndex, address: address)
            }
            joinThread.start()
        }
        coordinator.waitUntilExit()
        guard coordinator.terminationStatus == 0 else {
            throw DemoError.coordinatorFailed(status: coordinator.terminationStatus, log: "the output above")
        }
        print("""
            [4/4] Done.
              validation images: \(runDirectory)/val/  (epoch_NNN/ per epoch; open \(runDirectory)/val/index.html)
              dashboard snapshot: \(runDirectory)/dashboard.html
              checkpoints:        \(runDirectory)/latest
              worker logs:        \(logDirectory)/
            """)
    }

    @discardableResult
    func startWorker(_ herd: String, index: Int, address: String) throws -> Process {
        try LocalProcesses.launch(
            herd, ["worker", "--coordinator", address, "--token-file", tokenPath, "--threads", "1", "--name", "worker-\(index)"],
            log: "\(logDirectory)/worker-\(index).log")
    }
}

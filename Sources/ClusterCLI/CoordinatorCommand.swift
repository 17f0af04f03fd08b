import Cluster
import Config
import Console
import CycleGANCluster
import Dashboard
import Foundation

/// `coordinator` (and `herd coordinator`): runs a cluster training run.
public enum CoordinatorCommand {
    /// The command's spec; `name` is how it is invoked (`coordinator` or `herd coordinator`).
    public static func spec(name: String) -> CommandSpec {
        CommandSpec(
            name: name,
            abstract: "Coordinate a CycleGAN training run across worker machines.",
            discussion: """
                Listens on cluster.listen, prints the command to start workers with, waits for
                cluster.min_workers, then plans every step: workers compute, the coordinator runs the
                image pools and commits steps, writes checkpoints and validation images, and serves the
                dashboard on dashboard.listen (its snapshot is saved to <run>/dashboard.html at every
                epoch end). The token comes from cluster.token_file, else HERD_TOKEN.
                """,
            options: [
                .value("config", "FILE", help: "The run configuration (YAML, or JSON of the same fields).", default: "cluster.yaml"),
                .flag("resume", help: "Continue from the newest intact checkpoint of the run (a damaged newer one is moved aside, saying so)."),
                .flag("fresh", help: "Discard the run directory's earlier checkpoints, validation images and dashboard snapshot, then start a new run."),
                .value("log-json", "FILE", help: "Also append JSON lines to FILE: one per committed step with that step's figures only (losses, timings, workers), and one per event (joins, departures, checkpoints) when it happens."),
                .flag("keep-running", help: "After the run finishes, keep serving the dashboard until interrupted."),
            ],
            examples: ["\(name) --config cluster.yaml", "\(name) --config cluster.yaml --resume"])
    }

    /// Runs the coordinator until the run finishes.
    public static func run(_ args: ParsedArguments) throws {
        // Before any connection thread starts: a run lasts days and workers come and go.
        ProcessHeap.limitArenas(2)
        Thread.detachNewThread {
            while true {
                Thread.sleep(forTimeInterval: 30)
                ProcessHeap.trim()
            }
        }
        let configPath = args.string("config", default: "cluster.yaml")
        // YAML, or JSON of the same fields (as `herd train` accepts).
        let (config, dashboardNamed) = try RunConfig.loadFile(path: configPath)
        try config.validate()
        let resume = args.flag("resume")
        let fresh = args.flag("fresh")
        if resume && fresh {
            throw UsageError.conflictingOptions("resume", "fresh", reason: "--resume continues the earlier run, --fresh discards it")
        }
        let token = try ClusterToken.load(file: config.cluster.tokenFile, environment: ProcessInfo.processInfo.environment)
        let listen = try HostPort(parsing: config.cluster.listen)
        // Before anything slow: an earlier run in the way, or a directory that cannot take checkpoints.
        for note in try CycleGANRun.prepareRunDirectory(config: config, resume: resume, fresh: fresh) { print(note) }
        print("loading the dataset from \(config.data.root) ...")
        let run = try CycleGANRun(config: config)
        print(RunPlan.startLine(config: config, epochLength: run.epochLength))
        var options = CoordinatorOptions(
            runName: config.name, listen: listen, minWorkers: config.cluster.minWorkers, batchSize: config.training.batchSize,
            heartbeatSeconds: config.cluster.heartbeatSeconds, checksumEverySteps: config.cluster.checksumEverySteps,
            checkpointEverySteps: config.checkpoint.everySteps, validationEveryEpochs: config.validation.everyEpochs,
            resume: resume, configJSON: Array(try JSONEncoder().encode(config)))
        options.maxPayload = Frame.defaultMaxPayload
        var jsonLog: (@Sendable (String) -> Void)?
        if let path = args.string("log-json") {
            let file = try JSONLineFile(path: path)
            jsonLog = { file.write($0) }
        }
        let handle = CoordinatorHandle()
        let runDirectory = config.checkpoint.directory + "/" + config.name
        let coordinator = try ClusterCoordinator(options: options, model: run, token: token, handle: handle, jsonLog: jsonLog)
        let loaded = handle.status.get()
        if resume, loaded.step >= loaded.totalSteps {
            print("run '\(config.name)' is finished: all \(loaded.totalEpochs) epochs done (step \(loaded.step)); nothing to do")
            return
        }
        let board = ClusterDashboard(config: config, handle: handle, runDirectory: runDirectory)
        let server = try board.serve(listen: config.dashboard.listen, allowNonLoopback: dashboardNamed)
        if let server { print("dashboard: \(server.url)") } else { board.startPolling() }
        Thread.detachNewThread {
            // Print the worker command once listening.
            while handle.address == nil { Thread.sleep(forTimeInterval: 0.05) }
            let port = handle.address?.port ?? listen.port
            let host = listen.isWildcard ? (ProcessInfo.processInfo.hostName) : listen.host
            print("coordinator of run '\(config.name)' listening on \(listen.host):\(port)")
            print("start workers on other machines with (same token in \(config.cluster.tokenFile) or HERD_TOKEN):")
            print("  worker --coordinator \(HostPort(host: host, port: port)) --token-file \(config.cluster.tokenFile)")
        }
        defer { board.stop() }
        try coordinator.run()
        board.stop()
        print("dashboard snapshot: \(board.snapshotPath)")
        if args.flag("keep-running"), let server {
            print("run finished; the dashboard stays up at \(server.url) (Ctrl-C to stop)")
            while true { Thread.sleep(forTimeInterval: 3600) }
        }
    }
}

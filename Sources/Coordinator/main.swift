// `coordinator --config cluster.yaml [--resume]`: runs a cluster training run.
import Cluster
import Config
import Console
import Foundation

CommandLineTool.lineBufferStandardOutput()
let spec = CommandSpec(
    name: "coordinator",
    abstract: "Coordinate a CycleGAN training run across worker machines.",
    discussion: """
        Listens on cluster.listen, prints the command to start workers with, waits for
        cluster.min_workers, then plans every step: workers compute, the coordinator runs the
        image pools and commits steps, writes checkpoints and validation images.
        The token comes from cluster.token_file, else HERD_TOKEN.
        """,
    options: [
        .value("config", "FILE", help: "The run configuration (YAML).", default: "cluster.yaml"),
        .flag("resume", help: "Continue from the newest checkpoint of the run."),
        .value("log-json", "FILE", help: "Also write one JSON status line per step to FILE."),
    ],
    examples: ["coordinator --config cluster.yaml", "coordinator --config cluster.yaml --resume"])

CommandLineTool.run(spec, arguments: Array(CommandLine.arguments.dropFirst())) { args in
    let config = try RunConfig.load(path: args.string("config", default: "cluster.yaml"))
    try config.validate()
    let token = try ClusterToken.load(file: config.cluster.tokenFile, environment: ProcessInfo.processInfo.environment)
    let listen = try HostPort(parsing: config.cluster.listen)
    print("loading the dataset from \(config.data.root) ...")
    let run = try CycleGANRun(config: config)
    var options = CoordinatorOptions(
        runName: config.name, listen: listen, minWorkers: config.cluster.minWorkers, batchSize: config.training.batchSize,
        heartbeatSeconds: config.cluster.heartbeatSeconds, checksumEverySteps: config.cluster.checksumEverySteps,
        checkpointEverySteps: config.checkpoint.everySteps, validationEveryEpochs: config.validation.everyEpochs,
        resume: args.flag("resume"), configJSON: Array(try JSONEncoder().encode(config)))
    options.maxPayload = Frame.defaultMaxPayload
    var jsonLog: (@Sendable (String) -> Void)?
    if let path = args.string("log-json") {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw BenchmarkError("cannot write \(path)") }
        let box = LockedBox(handle)
        jsonLog = { line in box.update { $0.write(Data((line + "\n").utf8)) } }
    }
    let handle = CoordinatorHandle()
    let coordinator = try ClusterCoordinator(options: options, model: run, token: token, handle: handle, jsonLog: jsonLog)
    Thread.detachNewThread {
        // Print the worker command once listening.
        while handle.address == nil { Thread.sleep(forTimeInterval: 0.05) }
        let port = handle.address?.port ?? listen.port
        let host = listen.isWildcard ? (ProcessInfo.processInfo.hostName) : listen.host
        print("coordinator of run '\(config.name)' listening on \(listen.host):\(port)")
        print("start workers on other machines with (same token in \(config.cluster.tokenFile) or HERD_TOKEN):")
        print("  worker --coordinator \(HostPort(host: host, port: port)) --token-file \(config.cluster.tokenFile)")
    }
    try coordinator.run()
}

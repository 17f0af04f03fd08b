// `worker --coordinator HOST:PORT`: joins a cluster run and computes its share of every step.
import Cluster
import Config
import Console
import Foundation
import Tensor

CommandLineTool.lineBufferStandardOutput()
let spec = CommandSpec(
    name: "worker",
    abstract: "Join a Herd training run and compute part of every step.",
    discussion: """
        Needs no dataset and no config: the coordinator sends the configuration, the model state
        and the images. Reconnects on its own (with backoff) when the coordinator goes away.
        The token comes from --token-file, else HERD_TOKEN, else ./herd.token.
        """,
    options: [
        .value("coordinator", "HOST:PORT", help: "The coordinator's address."),
        .value("token-file", "FILE", help: "File holding the cluster token.", default: "herd.token"),
        .value("threads", "N", help: "Kernel threads (0: all cores).", default: "0"),
        .value("name", "NAME", help: "Name shown by the coordinator.", default: "the host name"),
        .value("ring-listen", "HOST:PORT", help: "Where other workers connect for the all-reduce.", default: "0.0.0.0:0"),
    ],
    examples: ["worker --coordinator 192.168.1.10:7070 --token-file herd.token --threads 4 --name gpu-box"])

CommandLineTool.run(spec, arguments: Array(CommandLine.arguments.dropFirst())) { args in
    let coordinator = try HostPort(parsing: try args.required("coordinator"))
    let token = try ClusterToken.load(file: args.string("token-file", default: "herd.token"), environment: ProcessInfo.processInfo.environment)
    let threads = try args.int("threads", default: 0, minimum: 0)
    ThreadPool.configure(threads: threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)
    var options = WorkerOptions(coordinator: coordinator, name: args.string("name") ?? ProcessInfo.processInfo.hostName,
                                threads: ThreadPool.shared.threadCount)
    options.ringListen = try HostPort(parsing: args.string("ring-listen", default: "0.0.0.0:0"))
    let worker = ClusterWorker(options: options, token: token) { message in
        let config = try JSONDecoder().decode(RunConfig.self, from: Data(message.json))
        return try CycleGANReplica(config: config)
    }
    try worker.run()
}

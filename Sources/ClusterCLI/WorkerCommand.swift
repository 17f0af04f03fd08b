import Cluster
import Config
import Console
import CycleGANCluster
import Foundation
import Tensor

/// `worker` (and `herd worker`): joins a cluster run.
public enum WorkerCommand {
    /// The command's spec; `name` is how it is invoked (`worker` or `herd worker`).
    public static func spec(name: String) -> CommandSpec {
        CommandSpec(
            name: name,
            abstract: "Join a Herd training run and compute part of every step.",
            discussion: """
                Needs no dataset and no config: the coordinator sends the configuration, the model state
                and the images. Each training image arrives once, as its file (JPEG/PNG), and is kept
                by content hash across epochs and reconnections: the files (--file-cache-mb) and the
                decoded, resized images (--image-cache-mb), least recently used dropped first.
                Reconnects on its own (with backoff) when the coordinator goes away, for as long as
                it takes unless --give-up-after bounds the wait (so a worker started before its
                coordinator, or left behind by a finished run, can end on its own).
                The token comes from --token-file, else HERD_TOKEN, else ./herd.token.
                """,
            options: [
                .value("coordinator", "HOST:PORT", help: "The coordinator's address (required)."),
                .value("token-file", "FILE", help: "File holding the cluster token.", default: "herd.token"),
                .value("threads", "N", help: "Kernel threads (0: all cores).", default: "0"),
                .value("name", "NAME", help: "Name shown by the coordinator.", default: "the host name"),
                .value("ring-listen", "HOST:PORT", help: "Where other workers connect for the all-reduce.", default: "0.0.0.0:0"),
                .value("image-cache-mb", "MB", help: "Memory for decoded, resized training images.", default: "2048"),
                .value("file-cache-mb", "MB", help: "Memory for received image files.", default: "512"),
                .value("give-up-after", "SECONDS", help: "Exit with an error after this long without reaching the coordinator.", default: "never"),
                .flag("verbose", help: "Log every step's phases (default: a progress line at most once a second)."),
            ],
            examples: ["\(name) --coordinator 192.168.1.10:7070 --token-file herd.token --threads 4 --name desk"])
    }

    /// Runs the worker until the coordinator says the run is over.
    public static func run(_ args: ParsedArguments) throws {
        let coordinator = try HostPort(parsing: try args.required("coordinator"))
        let token = try ClusterToken.load(file: args.string("token-file", default: "herd.token"), environment: ProcessInfo.processInfo.environment)
        let threads = try args.int("threads", default: 0, minimum: 0)
        ThreadPool.configure(threads: threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)
        var options = WorkerOptions(coordinator: coordinator, name: args.string("name") ?? ProcessInfo.processInfo.hostName,
                                    threads: ThreadPool.shared.threadCount)
        options.ringListen = try HostPort(parsing: args.string("ring-listen", default: "0.0.0.0:0"))
        options.verbose = args.flag("verbose")
        let imageCacheMB = min(1 << 30, try args.int("image-cache-mb", default: 2048, minimum: 0))
        options.fileCacheBytes = min(1 << 30, try args.int("file-cache-mb", default: 512, minimum: 0)) << 20
        if args.string("give-up-after") != "never", let seconds = try args.double("give-up-after") {
            guard seconds > 0 else { throw UsageError.invalidValue(option: "--give-up-after", value: "\(seconds)", expected: "a number of seconds > 0, or never") }
            options.giveUpAfter = seconds
        }
        let worker = ClusterWorker(options: options, token: token) { config in
            try CycleGANReplica(config: config, imageCacheBytes: imageCacheMB << 20)
        }
        try worker.run()
    }
}

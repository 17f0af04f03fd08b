import Config
import Console
import Datasets
import Foundation

/// `herd demo`: the embedded default run. Synthetic data, a coordinator and
/// workers as separate local processes, a hot join, per-epoch validation images.
enum DemoCommand {
    static let commands: [Subcommand] = [
        Subcommand(["demo"], spec: spec) { args in
            let options = try DemoOptions(args)
            try DemoRun(options: options).run()
        },
    ]

    static let spec = CommandSpec(
        name: "herd demo",
        abstract: "Train a tiny CycleGAN on a synthetic dataset with a local coordinator and workers.",
        discussion: """
            Generates a synthetic unpaired dataset (domain A: plain coloured blobs, domain B: the
            same kind of blobs with zebra stripes) under datasets/demo, starts a coordinator and
            --workers worker processes on 127.0.0.1 with a freshly generated token, and trains a
            tiny CycleGAN for --epochs epochs. A further worker joins mid-run to show a hot join.
            Everything the run writes goes to checkpoints/demo/: checkpoints, the per-epoch
            validation images (val/epoch_NNN/, val/index.html), the dashboard snapshot
            (dashboard.html) and the workers' logs (logs/). Nothing is downloaded.
            """,
        options: [
            .value("workers", "N", help: "Workers started at the beginning (one more joins mid-run).", default: "2"),
            .value("epochs", "N", help: "Training epochs (half at the full learning rate, half decaying).", default: "4"),
            .value("images", "N", help: "Synthetic training images per domain.", default: "120"),
            .value("dashboard", "HOST:PORT", help: "Dashboard address (port 0 picks a free port).", default: "127.0.0.1:0"),
            .flag("keep-running", help: "Leave the coordinator and its dashboard up after training, until Ctrl-C."),
            .flag("no-join", help: "Skip the mid-run join of an extra worker."),
        ],
        examples: ["swift run -c release herd demo", "herd demo --workers 3 --epochs 6 --keep-running"])
}

/// The demo's options, validated.
struct DemoOptions {
    var workers: Int
    var epochs: Int
    var images: Int
    var dashboardHost: String
    /// nil: pick a free port.
    var dashboardPort: Int?
    var keepRunning: Bool
    var hotJoin: Bool

    init(_ args: ParsedArguments) throws {
        workers = try args.int("workers", default: 2, minimum: 1)
        epochs = try args.int("epochs", default: 4, minimum: 2)
        images = try args.int("images", default: 120, minimum: 8)
        let dashboard = args.string("dashboard", default: "127.0.0.1:0")
        guard let address = try? HostPort(parsing: dashboard) else {
            throw UsageError.invalidValue(option: "--dashboard", value: dashboard, expected: "a HOST:PORT address")
        }
        dashboardHost = address.host
        dashboardPort = address.port == 0 ? nil : address.port
        keepRunning = args.flag("keep-running")
        hotJoin = !args.flag("no-join")
    }
}

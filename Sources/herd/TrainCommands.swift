import ClusterCLI
import Config
import Console
import CycleGAN
import CycleGANCluster
import Foundation
import Imaging
import Tensor

/// `herd parity`, `herd train`, `herd translate`, `herd bench step`.
enum TrainCommands {
    static let commands: [Subcommand] = [parity, train, translate, benchStep]

    /// Errors of these commands that are not the library's.
    enum CommandError: Error, CustomStringConvertible {
        case checkpoint(path: String)
        case image(path: String, reason: String)

        var description: String {
            switch self {
            case let .checkpoint(path):
                return "\(path): no checkpoint there (expected a checkpoint directory with manifest.json, a run directory with a 'latest' file, or a 'latest' file)"
            case let .image(path, reason): return "\(path): \(reason)"
            }
        }
    }

    static func configureThreads(_ arguments: ParsedArguments, fallback: Int = 0) throws {
        let threads = try arguments.int("threads", default: fallback, minimum: 0)
        ThreadPool.configure(threads: threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)
    }

    // MARK: parity

    static let parity = Subcommand(["parity"], spec: CommandSpec(
        name: "herd parity",
        abstract: "Replay a PyTorch parity fixture and write every tensor it has.",
        discussion: """
            Loads the fixture's initial parameters and per-step batches, runs its steps with its
            configuration (widths, blocks, image size, batch, Adam settings, loss weights; the image
            pools are transparent while they hold fewer than 50 images), and writes init/*, stepK/input/*,
            stepK/out/*, stepK/loss/*, stepK/grad/* and stepK/param/* in the same cyclegan-parity-1 format.
            Compare with: python3 ../shared/tools/compare_parity.py FIXTURE OUT
            """,
        options: [
            .value("fixture", "DIR", help: "The fixture directory (manifest.json + tensors.f32)."),
            .value("out", "DIR", help: "Where to write the output archive (created)."),
            .value("micro-batch", "N", help: "Split each step's batch into micro-batches of N (gradients accumulated).",
                   default: "the whole batch"),
            .value("threads", "N", help: "Kernel threads (0: all cores).", default: "0"),
        ],
        examples: ["herd parity --fixture ../shared/fixtures/parity/tiny-b2 --out /tmp/parity-b2"])) { arguments in
        try configureThreads(arguments)
        let fixture = try arguments.required("fixture")
        let out = try arguments.required("out")
        let micro = try arguments.int("micro-batch")
        if let micro, micro < 1 {
            throw UsageError.invalidValue(option: "--micro-batch", value: String(micro), expected: "an integer >= 1")
        }
        let start = Date()
        let archive = try ParityRun.run(fixtureDirectory: fixture, microBatch: micro)
        try archive.write(directory: out)
        print("wrote \(archive.entries.count) tensors to \(out) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }

    // MARK: train

    static let train = Subcommand(["train"], spec: CommandSpec(
        name: "herd train",
        abstract: "Train CycleGAN in this process (no cluster).",
        discussion: """
            Reads the run configuration, loads and caches trainA/trainB (bad files are skipped and listed),
            and trains with the linear learning-rate decay. Checkpoints go to
            <checkpoint.directory>/<name>/step-NNNNNNNNN/ (every checkpoint.every_steps steps and after the
            last step; with every_steps 0 at each epoch end; the newest checkpoint.keep kept, 'latest'
            names the newest); validation rows
            (real | translated | reconstructed) go to <checkpoint.directory>/<name>/val/epoch_NNN/ with an
            index.html gallery. --resume continues from 'latest' exactly where it stopped; a damaged
            checkpoint (every tensor carries a SHA-256) is moved aside to step-NNNNNNNNN.corrupt and the
            newest intact one is used, saying so. A run directory holding an earlier run is never
            overwritten: without --resume or --fresh the command refuses to start there. Ctrl-C stops
            it with exit status 130 (SIGTERM, as kill sends: 143) and says the step reached and the
            command that resumes.

            The live dashboard is the coordinator's (dashboard.listen, default 127.0.0.1:8080; "" turns it
            off), with this process as the run's one worker; its snapshot is saved to
            <checkpoint.directory>/<name>/dashboard.html at every epoch end and when the run stops (Ctrl-C
            and SIGTERM included). When the address is taken,
            training goes on without it. --log-json appends the coordinator's JSON lines.
            """,
        options: [
            .value("config", "FILE", help: "The run configuration (cluster.yaml; a .json file of the same fields also works)."),
            .flag("resume", help: "Continue from the run's newest intact checkpoint (a new run when there is none)."),
            .flag("fresh", help: "Discard the run directory's earlier checkpoints, validation images and dashboard snapshot, then start a new run."),
            .value("threads", "N", help: "Kernel threads (0: training.threads from the config, else all cores).", default: "0"),
            .value("epochs", "N", help: "Stop after epoch N (the schedule is unchanged; resume later).", default: "the last"),
            .value("log-json", "FILE", help: "Also append JSON lines to FILE: one per step with that step's figures only (losses, timings), and one per event (checkpoints, validation images)."),
        ],
        examples: ["herd train --config cluster.yaml", "herd train --config cluster.yaml --resume --threads 2",
                   "herd train --config quick.yaml --log-json run.jsonl"])) { arguments in
        let configPath = try arguments.required("config")
        let (config, dashboardNamed) = try RunConfig.loadFile(path: configPath)
        let logJSON = try arguments.string("log-json").map { try JSONLineFile(path: $0) }
        try configureThreads(arguments, fallback: config.training.threads)
        let lastEpoch = try arguments.int("epochs")
        let interrupt = InterruptNotice(resumeCommand: "herd train --config \(configPath) --resume")
        interrupt.install()
        try runTraining(config: config, resume: arguments.flag("resume"), fresh: arguments.flag("fresh"), lastEpoch: lastEpoch,
                        interrupt: interrupt, monitor: Monitor(dashboardNamed: dashboardNamed, logJSON: logJSON))
    }

    /// What watches a `herd train` run besides its terminal: the dashboard and `--log-json`.
    struct Monitor {
        /// The config file sets `dashboard.listen` (a non-loopback address is then allowed).
        var dashboardNamed: Bool
        var logJSON: JSONLineFile?
    }

    static func runTraining(config: RunConfig, resume: Bool, fresh: Bool = false, lastEpoch: Int?,
                            interrupt: InterruptNotice? = nil, monitor: Monitor? = nil) throws {
        if resume && fresh {
            throw UsageError.conflictingOptions("resume", "fresh", reason: "--resume continues the earlier run, --fresh discards it")
        }
        print("loading \(config.data.root) (load \(config.data.loadSize), crop \(config.data.cropSize))")
        let source = try SampleSource(root: config.data.root, data: config.data, seed: config.training.seed)
        if !source.skipped.isEmpty {
            print("skipped \(source.skipped.count) unreadable file(s):")
            for file in source.skipped { print("  \(file)") }
        }
        print("trainA: \(source.filesA.count) images, trainB: \(source.filesB.count) images")
        let validation = ValidationSet.load(root: config.data.root, validation: config.validation, size: config.data.cropSize)
        for file in validation.skipped { print("validation image skipped: \(file)") }
        let trainer = try Trainer(config: config, source: source, validation: validation, resume: resume, fresh: fresh)
        for note in trainer.notes { print(note) }
        if let from = trainer.resumedFrom {
            print("resuming from \(from)")
            interrupt?.checkpoint(from)
        }
        if trainer.isFinished {
            let total = trainer.schedule.totalEpochs
            print("run '\(config.name)' is finished: all \(total) epochs done (step \(trainer.state.progress.globalStep)); nothing to do")
            return
        }
        print("model: res-\(config.model.nBlocks), ngf \(config.model.ngf), ndf \(config.model.ndf), \(trainer.model.parameterCount) parameters")
        print(RunPlan.startLine(config: config, epochLength: source.epochLength))
        // The coordinator's status, progress line, dashboard and --log-json, told by one feed.
        let feed = LocalRunFeed(config: config, log: monitor?.logJSON)
        let board = monitor.flatMap { startDashboard(config: config, feed: feed, runDirectory: trainer.runDirectory, named: $0.dashboardNamed) }
        if let board {
            interrupt?.beforeExit {
                board.stop()
                print("dashboard snapshot: \(board.snapshotPath)")
            }
        }
        defer {
            if let board {
                board.stop()
                print("dashboard snapshot: \(board.snapshotPath)")
            }
        }
        var progress: Console.Progress?
        try trainer.run(throughEpoch: lastEpoch) { event in
            feed.record(event)
            switch event {
            case let .started(state, length, steps, epochs):
                print("epoch \(state.epoch)/\(epochs), step \(state.stepInEpoch)/\(steps); \(length) samples per epoch, batch \(config.training.batchSize)")
            case .step(let report):
                interrupt?.step(epoch: report.epoch, stepInEpoch: report.stepInEpoch, global: report.globalStep)
                if progress == nil || report.stepInEpoch == 1 {
                    progress?.finish()
                    progress = Console.Progress("this epoch", total: report.stepsPerEpoch)
                }
                progress?.update(report.stepInEpoch, detail: feed.handle.status.get().progressLine)
            case let .validation(epoch, directory):
                progress?.finish()
                print("epoch \(epoch): validation images in \(directory)")
            case .checkpoint(let directory):
                interrupt?.checkpoint(directory)
                progress?.finish()
                print("checkpoint \(directory)")
            case let .epochFinished(epoch, seconds):
                progress?.finish()
                progress = nil
                print("epoch \(epoch) done in \(formatDuration(seconds))")
            }
        }
        if trainer.isFinished {
            feed.finish()
            print("run '\(config.name)' finished; translate with: herd translate --checkpoint \(trainer.runDirectory)/latest "
                  + "--direction AtoB IMAGES --out DIR")
        } else if let interrupt {
            print("stopped after epoch \(trainer.state.progress.epoch - 1) of \(trainer.schedule.totalEpochs) (--epochs); "
                  + "continue with: \(interrupt.resumeCommand)")
        }
    }

    /// Serves the coordinator's dashboard on `dashboard.listen` from `feed`; nil when it is
    /// off ("") or cannot listen there (said, and training goes on: the dashboard only watches).
    static func startDashboard(config: RunConfig, feed: LocalRunFeed, runDirectory: String, named: Bool) -> ClusterDashboard? {
        let board = ClusterDashboard(config: config, handle: feed.handle, runDirectory: runDirectory)
        do {
            guard let server = try board.serve(listen: config.dashboard.listen, allowNonLoopback: named) else { return nil }
            print("dashboard: \(server.url)")
            return board
        } catch {
            print("dashboard: not started: \(error); training goes on without it "
                  + "(set dashboard.listen to a free HOST:PORT, or \"\" to turn it off)")
            return nil
        }
    }

    static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m" }
        if total >= 60 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return String(format: "%.1fs", seconds)
    }

    // MARK: translate

    static let translate = Subcommand(["translate"], spec: CommandSpec(
        name: "herd translate",
        abstract: "Translate images with a trained generator.",
        discussion: """
            Uses G_AB (AtoB) or G_BA (BtoA) from a checkpoint. Images of any size are accepted: the
            generator needs sides that are multiples of 4, so other images are reflection-padded on the
            right and bottom to the next multiple of 4 and the result is cropped back (no resizing; the
            output has the input's size). Outputs are PNG files named <input name>_<direction>.png.
            The checkpoint's SHA-256 checksums are verified and its network sizes checked against this
            machine's memory before anything is allocated; a damaged checkpoint is refused.
            """,
        options: [
            .value("checkpoint", "PATH", help: "A checkpoint directory, a run directory, or its 'latest' file."),
            .value("direction", "AtoB|BtoA", help: "Which generator to apply.", default: "AtoB"),
            .value("out", "DIR", help: "Output directory (created)."),
            .value("threads", "N", help: "Kernel threads (0: all cores).", default: "0"),
        ],
        arguments: [ArgumentSpec("IMAGES", help: "JPEG or PNG files to translate.", isVariadic: true)],
        examples: ["herd translate --checkpoint checkpoints/horse2zebra/latest --direction AtoB horse.jpg --out out/"])) { arguments in
        try configureThreads(arguments)
        let checkpointPath = try arguments.required("checkpoint")
        let out = try arguments.required("out")
        let rawDirection = arguments.string("direction", default: "AtoB")
        guard let direction = TranslationDirection(rawValue: rawDirection) else {
            throw UsageError.invalidValue(option: "--direction", value: rawDirection, expected: "AtoB or BtoA")
        }
        guard !arguments.positionals.isEmpty else { throw UsageError.missingArgument("IMAGES") }
        guard let directory = CheckpointStore.resolve(checkpointPath) else {
            throw CommandError.checkpoint(path: checkpointPath)
        }
        let config = try Checkpoint.readConfig(directory: directory, inference: true)
        let model = try CycleGANModel(architecture: config.model, seed: 0)
        let archive = try Checkpoint.read(directory: directory)
        if !archive.isChecksummed { print(Checkpoint.unverifiedNote(directory)) }
        try model.load(from: archive, path: directory)
        let generator = direction == .aToB ? model.generatorAB : model.generatorBA
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for path in arguments.positionals {
            let image: Image
            do {
                image = try ImageCodec.decode(file: path)
            } catch {
                throw CommandError.image(path: path, reason: "cannot decode: \(error)")
            }
            let translated = try Translator.translate(image, with: generator)
            let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let target = (out as NSString).appendingPathComponent(base + "_" + direction.rawValue + ".png")
            do {
                try Data(PNGEncoder.encode(translated)).write(to: URL(fileURLWithPath: target))
            } catch {
                throw CommandError.image(path: target, reason: "cannot write: \(error.localizedDescription)")
            }
            print("\(path) -> \(target) (\(image.width)x\(image.height))")
        }
    }

    // MARK: bench step

    static let benchStep = Subcommand(["bench", "step"], spec: CommandSpec(
        name: "herd bench step",
        abstract: "Time full CycleGAN training steps on random data.",
        discussion: """
            Runs one warm-up step and then --steps timed steps (both generator and discriminator passes,
            image pools, both Adam updates) of a freshly initialised model, and prints seconds per step
            (minimum and median), GFLOP/s (convolution FLOPs counted analytically: forwards, weight
            gradients and needed input gradients) and the peak resident memory (VmHWM).

            --compare-torch PYTHON measures Herd against PyTorch instead: it alternates this benchmark (a fresh
            process per run, batch 1) with the PyTorch reference step torch_reference_step.py (same
            architecture, losses and Adam updates) run by PYTHON, for --pairs pairs, and prints every pair's
            median step times and peak memory, the load average, the median of the pairs' time ratios and the
            largest memory ratio. PYTHON is a scratch virtual environment with PyTorch, never a Herd
            dependency (python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch); the script is
            read from --torch-script (default: the session's shared tools next to the checkout).
            """,
        options: [
            .value("blocks", "N", help: "Residual blocks per generator.", default: "9"),
            .value("size", "PX", help: "Image side (a multiple of 4, at least 32).", default: "256"),
            .value("batch", "N", help: "Images per domain per step.", default: "1"),
            .value("steps", "N", help: "Timed steps after the warm-up step.", default: "3"),
            .value("ngf", "N", help: "Generator width.", default: "64"),
            .value("ndf", "N", help: "Discriminator width.", default: "64"),
            .value("threads", "N", help: "Kernel threads (0: all cores; 2 with --compare-torch).", default: "0"),
            .value("compare-torch", "PYTHON", help: "Alternate with the PyTorch reference step run by PYTHON and print the ratios."),
            .value("torch-script", "PATH", help: "The PyTorch reference step script.", default: TorchComparison.defaultScript),
            .value("pairs", "N", help: "Herd/PyTorch pairs with --compare-torch.", default: "3"),
        ],
        examples: ["herd bench step --blocks 9 --size 256 --batch 1 --threads 2", "herd bench step --blocks 6 --size 128 --steps 5",
                   "herd bench step --blocks 9 --size 256 --compare-torch /tmp/torchref/bin/python --pairs 3"])) { arguments in
        if let python = arguments.string("compare-torch") {
            let batch = try arguments.int("batch", default: 1, minimum: 1)
            guard batch == 1 else {
                throw UsageError.invalidValue(option: "--batch", value: "\(batch)", expected: "1 with --compare-torch (the PyTorch reference step's batch)")
            }
            guard let herd = LocalProcesses.selfExecutable() else {
                throw TorchComparison.Failure.cannotStart("herd bench step", reason: "this executable's path is unknown")
            }
            let comparison = TorchComparison(
                herd: herd, python: python, script: arguments.string("torch-script", default: TorchComparison.defaultScript),
                blocks: try arguments.int("blocks", default: 9, minimum: 0), size: try arguments.int("size", default: 256, minimum: 32),
                steps: try arguments.int("steps", default: 3, minimum: 1), threads: try arguments.int("threads", default: 2, minimum: 1),
                pairs: try arguments.int("pairs", default: 3, minimum: 1))
            try comparison.run { print($0) }
            return
        }
        try configureThreads(arguments)
        var model = ModelConfig()
        model.nBlocks = try arguments.int("blocks", default: 9, minimum: 0)
        model.ngf = try arguments.int("ngf", default: 64, minimum: 1)
        model.ndf = try arguments.int("ndf", default: 64, minimum: 1)
        let size = try arguments.int("size", default: 256, minimum: 32)
        let batch = try arguments.int("batch", default: 1, minimum: 1)
        let steps = try arguments.int("steps", default: 3, minimum: 1)
        let bench = StepBenchmark(model: model, size: size, batch: batch, steps: steps)
        print("bench step: res-\(model.nBlocks) ngf \(model.ngf) ndf \(model.ndf) \(size)x\(size) batch \(batch), "
              + "\(ThreadPool.shared.threadCount) threads, 1 warm-up + \(steps) steps")
        let result = try bench.run { index, seconds in
            print(index == 0 ? String(format: "  warm-up %.3f s", seconds) : String(format: "  step %d %.3f s", index, seconds))
        }
        let peak = ProcessMemory.peakResidentBytes().map { String(format: "%.0f MiB", Double($0) / 1_048_576) } ?? "unknown"
        print(String(format: "params %d  s/step min %.3f median %.3f  %.1f GFLOP/s (%.1f GFLOP/step)  peak RSS %@",
                     result.parameterCount, result.minimum, result.median, result.gigaflopsPerSecond,
                     result.flopsPerStep / 1e9, peak))
    }
}

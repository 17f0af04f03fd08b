import Config
import Console
import CycleGAN
import CycleGANCluster
import Foundation
import Tensor

/// `herd plan`: what a run costs before it starts.
enum PlanCommand {
    static let commands: [Subcommand] = [plan]

    static let plan = Subcommand(["plan"], spec: CommandSpec(
        name: "herd plan",
        abstract: "Time a config's training step here; project hours per epoch, days, disk, a cluster.",
        discussion: """
            Builds the config's model and times training steps on random images of the crop size, one
            micro-batch (training.micro_batch samples) per step: one warm-up step, then timed steps until
            --seconds of them (at least one, at most 5): a reduced count, so the figure is indicative
            ('herd bench step' times more). A step of the global batch runs batch / micro_batch such
            micro-batches one after the other, so its time is the micro-batch's times that. Prints seconds
            per step (the median), the peak memory, hours per epoch (samples per epoch = the larger of
            trainA and trainB in data.root, or --samples), days for the whole schedule, and the disk the
            run needs (checkpoints x (checkpoint.keep + 1), validation images per epoch x epochs).
            Then the projection for --workers machines like this one on --link: the busiest machine
            computes its whole micro-batches of the global batch; the ring all-reduce carries the
            gradients over its busiest link once (2 machines) or twice (3 or more); the generators'
            part overlaps the discriminator passes (a model of the overlap, not measured here).
            """,
        options: [
            .value("config", "FILE", help: "The run configuration (cluster.yaml, or a .json file of the same fields)."),
            .value("workers", "N", help: "Machines like this one in the projected cluster.", default: "2"),
            .value("link", "RATE", help: "Link rate between the machines: 1gbit, 100mbit, 2.5gbit.", default: "1gbit"),
            .value("seconds", "S", help: "Stop timing once the timed steps add up to S seconds (at least one step is timed).", default: "5"),
            .value("samples", "N", help: "Samples per epoch when data.root is not there yet (horse2zebra: 1334).", default: "counted in data.root"),
            .value("threads", "N", help: "Kernel threads (0: training.threads from the config, else all cores).", default: "0"),
        ],
        examples: ["herd plan --config cluster.yaml", "herd plan --config paper.yaml --workers 3 --link 1gbit"])) { arguments in
        let configPath = try arguments.required("config")
        let config = try RunConfig.loadFile(path: configPath).config
        try TrainCommands.configureThreads(arguments, fallback: config.training.threads)
        let workers = try arguments.int("workers", default: 2, minimum: 1)
        let linkText = arguments.string("link", default: "1gbit")
        guard let link = RunPlan.parseLink(linkText) else {
            throw UsageError.invalidValue(option: "--link", value: linkText, expected: "a rate such as 1gbit, 100mbit or 2.5gbit")
        }
        let seconds = try arguments.double("seconds") ?? 5
        guard seconds > 0 else {
            throw UsageError.invalidValue(option: "--seconds", value: arguments.string("seconds", default: ""), expected: "a positive number")
        }
        let samples = try epochLength(config, override: try arguments.int("samples"))
        let model = config.model, size = config.data.cropSize, batch = config.training.batchSize
        print("plan for \(configPath): res-\(model.nBlocks) ngf \(model.ngf) ndf \(model.ndf), \(size)x\(size) crops, "
              + "batch \(batch), \(config.training.nEpochs)+\(config.training.nEpochsDecay) epochs, "
              + "\(samples.epochLength) samples per epoch (\(samples.source))")
        let micro = max(1, min(config.training.microBatch, batch))
        let scale = Double(batch) / Double(micro)
        print("timing one micro-batch of \(micro) (x \(String(format: "%g", scale)) for the batch of \(batch)): 1 warm-up step, "
              + "then steps until \(String(format: "%g", seconds)) s of them (at most 5) ...")
        var bench = StepBenchmark(model: model, size: size, batch: micro, steps: 5)
        bench.timeBudget = seconds
        bench.minimumSteps = 1
        let result = try bench.run { index, seconds in
            print(index == 0 ? String(format: "  warm-up step %.2f s", seconds) : String(format: "  step %d %.2f s", index, seconds))
        }
        let plan = RunPlan(config: config, stepSeconds: result.median * scale, epochLength: samples.epochLength)
        let lines = plan.report(config: config, timedSteps: result.stepSeconds.count, threads: ThreadPool.shared.threadCount,
                                peakBytes: ProcessMemory.peakResidentBytes(), images: samples.images,
                                machines: workers, link: linkText, linkBytesPerSecond: link)
        for line in lines { print(line) }
    }

    /// Samples per epoch (the larger of trainA and trainB) and training images (both), counted
    /// in data.root, or `override` for both folders.
    static func epochLength(_ config: RunConfig, override: Int?) throws -> (epochLength: Int, images: Int, source: String) {
        if let override {
            guard override >= 1 else {
                throw UsageError.invalidValue(option: "--samples", value: String(override), expected: "an integer >= 1")
            }
            return (override, 2 * override, "--samples")
        }
        let files: (a: [String], b: [String])
        do {
            files = try SampleSource.candidateFiles(root: config.data.root)
        } catch {
            throw CommandFailure("\(error)\nDownload the data set first ('herd data download NAME'; every name: "
                + "'herd data download --help'), or pass --samples N (horse2zebra: 1334) to plan without it")
        }
        guard !files.a.isEmpty || !files.b.isEmpty else {
            throw CommandFailure("\(config.data.root): trainA and trainB hold no JPEG or PNG file; download the data set "
                + "('herd data download NAME') or pass --samples N to plan without it")
        }
        return (max(files.a.count, files.b.count), files.a.count + files.b.count, "counted in \(config.data.root)")
    }
}

import Cluster
import Config
import CycleGAN
import Foundation

/// What a run costs: time per step, per epoch and for the whole schedule on this machine, the
/// memory and disk it needs, and the projection for N such machines on a link of a given rate.
///
/// Pure arithmetic on figures given to it (a measured step time, counted samples), so tests
/// check it with injected timings. The cluster step is composed as the engine runs it: the
/// busiest worker computes its whole micro-batches of the global batch; the generators' part of
/// the gradient is all-reduced while the second (discriminator) passes run; the rest after them.
/// The ring all-reduce carries the gradient `RingAllReduce.busiestLinkFraction(size:)` times
/// over its busiest link (once for 2 machines, twice for 3 or more).
public struct RunPlan: Sendable {
    /// Seconds of one training step of the whole global batch on this machine.
    public var stepSeconds: Double
    /// Samples per epoch: the larger of trainA and trainB.
    public var epochLength: Int
    public var batchSize: Int
    public var microBatch: Int
    /// Epochs of the schedule (n_epochs + n_epochs_decay).
    public var epochs: Int
    public var generatorParameters: Int
    public var discriminatorParameters: Int
    /// Share of a step's convolution FLOPs in the discriminator pass: the time the
    /// generators' all-reduce can hide behind.
    public var discriminatorShare: Double

    public init(stepSeconds: Double, epochLength: Int, batchSize: Int, microBatch: Int, epochs: Int,
                generatorParameters: Int, discriminatorParameters: Int, discriminatorShare: Double) {
        self.stepSeconds = stepSeconds
        self.epochLength = epochLength
        self.batchSize = max(1, batchSize)
        self.microBatch = max(1, min(microBatch, batchSize))
        self.epochs = epochs
        self.generatorParameters = generatorParameters
        self.discriminatorParameters = discriminatorParameters
        self.discriminatorShare = discriminatorShare
    }

    /// The plan of `config`'s model; the parameter counts and the discriminator's share of the
    /// FLOPs are computed from the architecture (no model is built).
    public init(config: RunConfig, stepSeconds: Double, epochLength: Int) {
        let counts = Self.parameterCounts(config.model)
        self.init(stepSeconds: stepSeconds, epochLength: epochLength, batchSize: config.training.batchSize,
                  microBatch: config.training.microBatch,
                  epochs: config.training.nEpochs + config.training.nEpochsDecay,
                  generatorParameters: counts.generators, discriminatorParameters: counts.discriminators,
                  discriminatorShare: Self.discriminatorShare(config))
    }

    public var stepsPerEpoch: Int { (epochLength + batchSize - 1) / batchSize }
    public var totalSteps: Int { stepsPerEpoch * epochs }
    public var epochSeconds: Double { stepSeconds * Double(stepsPerEpoch) }
    public var runSeconds: Double { epochSeconds * Double(epochs) }
    /// Bytes of the all-reduced gradient: every parameter's gradient as a 32-bit float.
    public var gradientBytes: Double { 4 * Double(generatorParameters + discriminatorParameters) }

    /// One cluster configuration's step.
    public struct Cluster: Sendable, Equatable {
        public var machines: Int
        /// Samples the busiest machine computes per step (whole micro-batches).
        public var share: Int
        public var computeSeconds: Double
        /// Bytes over the busiest link per step.
        public var linkBytes: Double
        /// All-reduce time of the whole gradient at the link rate.
        public var allReduceSeconds: Double
        /// The part of it that overlaps the discriminator passes.
        public var hiddenSeconds: Double
        public var stepSeconds: Double
    }

    /// The step with `machines` machines like this one on links of `linkBytesPerSecond`.
    public func cluster(machines: Int, linkBytesPerSecond: Double) -> Cluster {
        let n = max(1, machines)
        let microBatches = (batchSize + microBatch - 1) / microBatch
        let share = min(batchSize, (microBatches + n - 1) / n * microBatch)
        let compute = stepSeconds * Double(share) / Double(batchSize)
        let fraction = RingAllReduce.busiestLinkFraction(size: n)
        let bytes = fraction * gradientBytes
        guard n > 1, linkBytesPerSecond > 0 else {
            return Cluster(machines: n, share: share, computeSeconds: compute, linkBytes: 0, allReduceSeconds: 0,
                           hiddenSeconds: 0, stepSeconds: compute)
        }
        let reduceG = fraction * 4 * Double(generatorParameters) / linkBytesPerSecond
        let reduceD = fraction * 4 * Double(discriminatorParameters) / linkBytesPerSecond
        let hidden = min(reduceG, compute * discriminatorShare)
        return Cluster(machines: n, share: share, computeSeconds: compute, linkBytes: bytes,
                       allReduceSeconds: reduceG + reduceD, hiddenSeconds: hidden,
                       stepSeconds: compute + reduceG + reduceD - hidden)
    }

    /// Generator and discriminator parameters of `model` (both of each), from the layer shapes.
    public static func parameterCounts(_ model: ModelConfig) -> (generators: Int, discriminators: Int) {
        (Int(2 * model.generatorParameters), Int(2 * model.discriminatorParameters))
    }

    /// The discriminator pass's share of a training step's convolution FLOPs.
    public static func discriminatorShare(_ config: RunConfig) -> Double {
        let size = config.data.cropSize
        let total = FlopCount.trainingStep(config.model, size: size, batch: 1,
                                           identity: config.training.lambdaIdentity > 0)
        let d = FlopCount.discriminator(config.model, size: size, batch: 1)
        return total > 0 ? 4 * (3 * d.total - d.firstLayer) / total : 0
    }

    // MARK: memory and disk

    /// Disk and memory of a run of `config`, as the README's "Disk a run needs" counts them.
    public struct Footprint: Sendable, Equatable {
        /// One checkpoint: 12 bytes per parameter (it and its two Adam moments) and both
        /// image pools as 32-bit floats.
        public var checkpointBytes: Double
        /// Checkpoints on disk at once: `keep` plus the one being written.
        public var checkpointsOnDisk: Int
        /// Upper bound of one validated epoch's PNGs: the rows (3 images of crop² RGB each,
        /// `rows` per direction) and their grid, uncompressed.
        public var validationBytesPerEpoch: Double
        public var validatedEpochs: Int
        /// Decoded training images `herd train` and the coordinator keep in memory (load_size² RGB).
        public var imageCacheBytes: Double

        public var checkpointDiskBytes: Double { checkpointBytes * Double(checkpointsOnDisk) }
        public var validationDiskBytes: Double { validationBytesPerEpoch * Double(validatedEpochs) }
        public var totalDiskBytes: Double { checkpointDiskBytes + validationDiskBytes }
    }

    /// The footprint of `config` with `images` training images (trainA + trainB).
    public static func footprint(_ config: RunConfig, images: Int) -> Footprint {
        let counts = parameterCounts(config.model)
        let side = Double(config.data.cropSize)
        let pools = 2 * Double(config.training.poolSize) * 3 * side * side * 4
        let checkpoint = 12 * Double(counts.generators + counts.discriminators) + pools
        let v = config.validation
        let rows = v.imagesA.isEmpty && v.imagesB.isEmpty ? 2 * v.count : v.imagesA.count + v.imagesB.count
        let rowBytes = 3 * side * side * 3
        let epochs = config.training.nEpochs + config.training.nEpochsDecay
        let every = max(1, v.everyEpochs)
        let validated = rows == 0 ? 0 : epochs / every + (epochs % every == 0 ? 0 : 1)
        let load = Double(config.data.loadSize)
        return Footprint(checkpointBytes: checkpoint, checkpointsOnDisk: max(1, config.checkpoint.keep) + 1,
                         validationBytesPerEpoch: 2 * Double(rows) * rowBytes, validatedEpochs: validated,
                         imageCacheBytes: Double(images) * load * load * 3)
    }

    // MARK: text

    /// `1gbit`, `100mbit`, `2.5gbit`, `1gbit/s`, `1000` (Mbit/s) as bytes per second; nil when not a rate.
    public static func parseLink(_ text: String) -> Double? {
        var t = text.lowercased().trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("/s") { t.removeLast(2) }
        if t.hasSuffix("ps") { t.removeLast(2) }
        var scale = 1e6
        for (suffix, value) in [("gbit", 1e9), ("mbit", 1e6), ("g", 1e9), ("m", 1e6)] where t.hasSuffix(suffix) {
            t.removeLast(suffix.count)
            scale = value
            break
        }
        guard let number = Double(t), number > 0, number.isFinite else { return nil }
        return number * scale / 8
    }

    /// `45.0 s`, `12 min`, `3.2 h`, `12.5 days`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 120 { return String(format: "%.1f s", seconds) }
        if seconds < 2 * 3600 { return String(format: "%.0f min", seconds / 60) }
        if seconds < 2 * 86400 { return String(format: "%.1f h", seconds / 3600) }
        return String(format: "%.1f days", seconds / 86400)
    }

    /// `9.4 MB`, `418 MB`, `1.9 GB` (decimal units, as the README).
    public static func bytes(_ value: Double) -> String {
        if value >= 1e9 { return String(format: "%.1f GB", value / 1e9) }
        return value >= 1e7 ? String(format: "%.0f MB", value / 1e6) : String(format: "%.1f MB", value / 1e6)
    }

    /// The `herd plan` report after the header: this machine, disk and memory, the cluster.
    /// - Parameters:
    ///   - timedSteps: how many steps the step time is the median of (said, since it is a reduced count).
    ///   - peakBytes: peak resident memory of the timed steps, when known.
    public func report(config: RunConfig, timedSteps: Int, threads: Int, peakBytes: Int?, images: Int,
                       machines: Int, link: String, linkBytesPerSecond: Double) -> [String] {
        let f = Self.footprint(config, images: images)
        var lines: [String] = []
        let peak = peakBytes.map { Self.bytes(Double($0)) } ?? "unknown"
        lines.append(String(format: "this machine (%d threads): %.2f s/step", threads, stepSeconds)
            + " (median of \(timedSteps) timed step\(timedSteps == 1 ? "" : "s") after a warm-up: a reduced count, "
            + "'herd bench step' times more), peak memory \(peak) + \(Self.bytes(f.imageCacheBytes)) "
            + "for the \(images) decoded training images")
        lines.append("  one epoch: \(stepsPerEpoch) steps = \(Self.duration(epochSeconds)); "
            + "the whole run: \(totalSteps) steps over \(epochs) epochs = \(Self.duration(runSeconds))")
        lines.append("  disk: checkpoints \(Self.bytes(f.checkpointBytes)) x \(f.checkpointsOnDisk) (keep "
            + "\(f.checkpointsOnDisk - 1) + the one being written) = \(Self.bytes(f.checkpointDiskBytes)); "
            + "val/ at most \(Self.bytes(f.validationBytesPerEpoch)) per epoch x \(f.validatedEpochs) = "
            + "\(Self.bytes(f.validationDiskBytes)); in all at most \(Self.bytes(f.totalDiskBytes)) "
            + "in \(config.checkpoint.directory)/\(config.name)/")
        let c = cluster(machines: machines, linkBytesPerSecond: linkBytesPerSecond)
        lines.append("\(c.machines) machine\(c.machines == 1 ? "" : "s") like this one on \(link) "
            + String(format: "(%.0f Mbit/s)", linkBytesPerSecond * 8 / 1e6) + ":")
        lines.append("  compute: the busiest computes \(c.share) of \(batchSize) sample\(batchSize == 1 ? "" : "s") "
            + "(micro-batches of \(microBatch)) = " + String(format: "%.2f s", c.computeSeconds))
        if c.machines > 1 {
            lines.append("  all-reduce: \(Self.bytes(gradientBytes)) of gradients, \(Self.bytes(c.linkBytes)) over the busiest link "
                + String(format: "= %.2f s per step, of which %.2f s overlap the discriminator passes (modelled: the ",
                         c.allReduceSeconds, c.hiddenSeconds)
                + String(format: "generators' %.0f%% of the gradient against the passes' %.0f%% of the step)",
                         100 * Double(generatorParameters) / Double(max(1, generatorParameters + discriminatorParameters)),
                         100 * discriminatorShare))
        }
        lines.append(String(format: "  step %.2f s (%.2fx this machine): ", c.stepSeconds, stepSeconds / max(1e-12, c.stepSeconds))
            + "\(Self.duration(c.stepSeconds * Double(stepsPerEpoch))) per epoch, "
            + "\(Self.duration(c.stepSeconds * Double(totalSteps))) for the whole run")
        if c.machines > 1 && c.share == batchSize {
            lines.append("  with batch \(batchSize) in micro-batches of \(microBatch) there is nothing to split: more machines "
                + "only add the all-reduce; a larger training.batch_size splits (it changes the optimisation: the paper uses 1)")
        }
        return lines
    }

    /// The one line `herd train` and the coordinator print at their start: no timing (that would
    /// slow the start by a step or more), only the counts and the disk.
    public static func startLine(config: RunConfig, epochLength: Int) -> String {
        let plan = RunPlan(config: config, stepSeconds: 0, epochLength: epochLength)
        let f = footprint(config, images: 0)
        let gflop = FlopCount.trainingStep(config.model, size: config.data.cropSize, batch: config.training.batchSize,
                                           identity: config.training.lambdaIdentity > 0) / 1e9
        return "plan: \(plan.stepsPerEpoch) steps per epoch x \(plan.epochs) epochs = \(plan.totalSteps) steps of "
            + String(format: "%.0f GFLOP", gflop) + "; disk at most \(bytes(f.totalDiskBytes)) "
            + "(checkpoints \(bytes(f.checkpointDiskBytes)), val/ \(bytes(f.validationDiskBytes))); "
            + "not timed at start-up: the progress line's ETA follows the first steps, "
            + "'herd plan --config FILE' times it beforehand"
    }
}

import Config
import Foundation
import Tensor

/// What ``Trainer/run(throughEpoch:events:)`` reports as it goes.
public enum TrainingEvent: Sendable {
    /// Training starts (or resumes at `progress`).
    case started(progress: TrainingProgress, epochLength: Int, stepsPerEpoch: Int, totalEpochs: Int)
    /// A step finished.
    case step(StepReport)
    /// Validation rows were written to `directory`.
    case validation(epoch: Int, directory: String)
    /// A checkpoint was written to `directory`.
    case checkpoint(directory: String)
    /// Epoch `epoch` finished after `seconds`.
    case epochFinished(epoch: Int, seconds: Double)
}

/// One step's figures for the progress line.
public struct StepReport: Sendable {
    public let epoch: Int
    public let totalEpochs: Int
    public let stepInEpoch: Int
    public let stepsPerEpoch: Int
    public let globalStep: Int
    public let totalSteps: Int
    public let learningRate: Double
    public let losses: StepLosses
    /// Samples per second over this session so far.
    public let samplesPerSecond: Double
    /// Estimated seconds to the end of the run.
    public let etaSeconds: Double
}

/// Single-process CycleGAN training: the epoch loop over a ``SampleSource``
/// with ``TrainingStep``, the linear learning-rate decay, checkpoints every
/// `checkpoint.everySteps` steps and at every epoch end, and validation images
/// every `validation.everyEpochs` epochs (and after the last).
public final class Trainer {
    public let config: RunConfig
    public let model: CycleGANModel
    public private(set) var state: TrainingState
    public let source: SampleSource
    public let validation: ValidationSet?
    public let store: CheckpointStore
    /// `checkpoint.directory/name`: checkpoints and `val/`.
    public let runDirectory: String
    /// Writes `val/` (its index is kept in memory: no listing per epoch).
    let validationWriter: ValidationWriter
    /// Path of the checkpoint training resumed from, if any.
    public let resumedFrom: String?

    /// What preparing the run did that the user should know: unfinished checkpoint writes
    /// removed, an earlier run discarded (`fresh`), damaged checkpoints skipped and moved aside.
    public private(set) var notes: [String] = []

    /// Prepares a run in `checkpoint.directory/name`. A directory holding an earlier run is
    /// refused unless `resume` (continue from its newest intact checkpoint; a damaged newer one
    /// is moved aside to `NAME.corrupt`, and said so in ``notes``) or `fresh` (discard it first).
    /// The model architecture must match `config`.
    /// - Throws: ``CycleGANError`` for an invalid configuration, an earlier run in the way,
    ///   or no intact checkpoint to resume.
    public init(config: RunConfig, source: SampleSource, validation: ValidationSet?, resume: Bool,
                fresh: Bool = false) throws(CycleGANError) {
        guard config.training.batchSize > 0 else {
            throw .invalidSetting("training.batchSize must be at least 1, got \(config.training.batchSize)")
        }
        guard config.training.nEpochs >= 0, config.training.nEpochsDecay >= 0, config.training.nEpochs + config.training.nEpochsDecay > 0 else {
            throw .invalidSetting("training.nEpochs + nEpochsDecay must be positive (got \(config.training.nEpochs) + \(config.training.nEpochsDecay))")
        }
        guard !(resume && fresh) else {
            throw .invalidSetting("--resume continues the earlier run and --fresh discards it: give one of them")
        }
        self.config = config
        self.source = source
        self.validation = validation
        runDirectory = config.checkpoint.directory + "/" + config.name
        validationWriter = ValidationWriter(validationDirectory: runDirectory + "/val")
        store = CheckpointStore(directory: runDirectory, keep: config.checkpoint.keep)
        do {
            notes = try store.prepare(resume ? .resume : fresh ? .fresh : .new)
        } catch {
            throw .runDirectory(error)
        }
        model = try CycleGANModel(architecture: config.model, seed: config.training.seed)
        let found: (path: String, value: (state: TrainingState, verified: Bool), skipped: [CheckpointStore.Skipped])?
        do {
            found = resume ? try store.loadNewestIntact { [model] (path) throws(ArchiveError) in
                let archive = try Checkpoint.read(directory: path)
                return (try Checkpoint.restore(archive, into: model, path: path), archive.isChecksummed)
            } : nil
        } catch {
            throw .archive(error)
        }
        if let found {
            for skipped in found.skipped {
                let aside = store.moveAside(skipped.path)
                notes.append("skipping a damaged checkpoint: \(skipped.error)"
                             + (aside.map { "; moved aside to \($0)" } ?? ""))
            }
            if !found.skipped.isEmpty { notes.append("resuming from the newest intact checkpoint, \(found.path)") }
            if !found.value.verified { notes.append(Checkpoint.unverifiedNote(found.path)) }
            var restored = found.value.state
            if restored.progress.stepInEpoch > 0, restored.config.training.batchSize != config.training.batchSize {
                throw CycleGANError.invalidSetting(
                    "\(found.path) stopped in the middle of an epoch with batch size \(restored.config.training.batchSize); "
                    + "resume it with that batch size, not \(config.training.batchSize)")
            }
            restored.config = config
            state = restored
            resumedFrom = found.path
        } else {
            state = TrainingState(config: config, model: model)
            resumedFrom = nil
        }
    }

    /// Whether every epoch of the schedule is done (a resumed finished run has nothing to do).
    public var isFinished: Bool { state.progress.epoch > schedule.totalEpochs }

    /// The learning-rate schedule of this run.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(baseRate: config.training.lr, nEpochs: config.training.nEpochs,
                             nEpochsDecay: config.training.nEpochsDecay)
    }

    /// Steps per epoch: the epoch's samples in batches, the last one possibly smaller.
    public var stepsPerEpoch: Int {
        (source.epochLength + config.training.batchSize - 1) / config.training.batchSize
    }

    /// Trains until the end of the schedule, or until the end of `lastEpoch` when given.
    public func run(throughEpoch lastEpoch: Int? = nil, events: (TrainingEvent) -> Void = { _ in }) throws(CycleGANError) {
        let totalEpochs = schedule.totalEpochs
        let stopEpoch = min(totalEpochs, lastEpoch ?? totalEpochs)
        guard state.progress.epoch <= stopEpoch else { return }  // finished: nothing to start
        let stepsPerEpoch = self.stepsPerEpoch
        let totalSteps = stepsPerEpoch * totalEpochs
        let batchSize = config.training.batchSize
        let crop = source.cropSize
        let step = TrainingStep(model: model, weights: LossWeights(cycle: Float(config.training.lambdaCycle),
                                                                    identity: Float(config.training.lambdaIdentity)),
                                microBatch: config.training.microBatch)
        events(.started(progress: state.progress, epochLength: source.epochLength, stepsPerEpoch: stepsPerEpoch,
                        totalEpochs: totalEpochs))
        let sessionStart = Date()
        var sessionSamples = 0
        var sessionSteps = 0
        while state.progress.epoch <= stopEpoch {
            let epoch = state.progress.epoch
            let epochStart = Date()
            let lr = schedule.rate(epoch: epoch)
            while state.progress.stepInEpoch < stepsPerEpoch {
                let first = state.progress.stepInEpoch * batchSize
                let slots = first ..< min(first + batchSize, source.epochLength)
                let samples = slots.map { source.sample(epoch: epoch, index: $0) }
                let result = try state.train(step, batchA: samples.map(\.a), batchB: samples.map(\.b), height: crop, width: crop, lr: lr)
                state.progress.stepInEpoch += 1
                state.progress.globalStep += 1
                sessionSamples += slots.count
                sessionSteps += 1
                let elapsed = max(1e-9, Date().timeIntervalSince(sessionStart))
                let remaining = totalSteps - state.progress.globalStep
                events(.step(StepReport(
                    epoch: epoch, totalEpochs: totalEpochs, stepInEpoch: state.progress.stepInEpoch, stepsPerEpoch: stepsPerEpoch,
                    globalStep: state.progress.globalStep, totalSteps: totalSteps, learningRate: lr, losses: result.losses,
                    samplesPerSecond: Double(sessionSamples) / elapsed,
                    etaSeconds: elapsed / Double(sessionSteps) * Double(remaining))))
                let every = config.checkpoint.everySteps
                if every > 0, state.progress.globalStep % every == 0, state.progress.stepInEpoch < stepsPerEpoch {
                    events(.checkpoint(directory: try saveCheckpoint()))
                }
            }
            let every = max(1, config.validation.everyEpochs)
            if let validation, epoch % every == 0 || epoch == totalEpochs,
               !validation.itemsA.isEmpty || !validation.itemsB.isEmpty {
                let rows = try ValidationRenderer.rows(model: model, set: validation)
                let directory = try validationWriter.write(rows: rows, epoch: epoch)
                events(.validation(epoch: epoch, directory: directory))
            }
            events(.epochFinished(epoch: epoch, seconds: Date().timeIntervalSince(epochStart)))
            state.progress.epoch += 1
            state.progress.stepInEpoch = 0
            // checkpoint.every_steps N > 0: every N-th step (an epoch's last step when it is one)
            // and the end of the session; 0: every epoch end. Epoch ends do not count otherwise.
            let checkpointEvery = config.checkpoint.everySteps
            if checkpointEvery <= 0 || state.progress.globalStep % checkpointEvery == 0 || epoch == stopEpoch {
                events(.checkpoint(directory: try saveCheckpoint()))
            }
        }
    }

    /// Writes a checkpoint of the current state and returns its directory.
    @discardableResult
    public func saveCheckpoint() throws(CycleGANError) -> String {
        do {
            let archive = try Checkpoint.archive(model: model, state: state)
            return try store.save(archive, globalStep: state.progress.globalStep)
        } catch {
            throw .archive(error)
        }
    }
}

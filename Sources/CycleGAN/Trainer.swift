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
    /// Path of the checkpoint training resumed from, if any.
    public let resumedFrom: String?

    /// Prepares a run. With `resume`, loads the newest checkpoint of the run if
    /// there is one (the model architecture must match `config`).
    /// - Throws: ``CycleGANError`` for an invalid configuration or an unreadable checkpoint.
    public init(config: RunConfig, source: SampleSource, validation: ValidationSet?, resume: Bool) throws(CycleGANError) {
        guard config.training.batchSize > 0 else {
            throw .invalidSetting("training.batchSize must be at least 1, got \(config.training.batchSize)")
        }
        guard config.training.nEpochs >= 0, config.training.nEpochsDecay >= 0, config.training.nEpochs + config.training.nEpochsDecay > 0 else {
            throw .invalidSetting("training.nEpochs + nEpochsDecay must be positive (got \(config.training.nEpochs) + \(config.training.nEpochsDecay))")
        }
        self.config = config
        self.source = source
        self.validation = validation
        runDirectory = config.checkpoint.directory + "/" + config.name
        store = CheckpointStore(directory: runDirectory, keep: config.checkpoint.keep)
        model = try CycleGANModel(architecture: config.model, seed: config.training.seed)
        if resume, let path = store.latest() {
            do {
                let archive = try TensorArchive.read(directory: path)
                var restored = try Checkpoint.restore(archive, into: model, path: path)
                if restored.progress.stepInEpoch > 0, restored.config.training.batchSize != config.training.batchSize {
                    throw CycleGANError.invalidSetting(
                        "\(path) stopped in the middle of an epoch with batch size \(restored.config.training.batchSize); "
                        + "resume it with that batch size, not \(config.training.batchSize)")
                }
                restored.config = config
                state = restored
            } catch let error as CycleGANError {
                throw error
            } catch let error as ArchiveError {
                throw .archive(error)
            } catch {
                throw .invalidSetting("\(error)")
            }
            resumedFrom = path
        } else {
            state = TrainingState(config: config, model: model)
            resumedFrom = nil
        }
    }

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
                let directory = try ValidationGalleryWriter.write(rows: rows, epoch: epoch, validationDirectory: runDirectory + "/val")
                events(.validation(epoch: epoch, directory: directory))
            }
            events(.epochFinished(epoch: epoch, seconds: Date().timeIntervalSince(epochStart)))
            state.progress.epoch += 1
            state.progress.stepInEpoch = 0
            events(.checkpoint(directory: try saveCheckpoint()))
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

import Cluster
import Config
import CycleGAN
import Foundation

/// `herd train`'s run told in the coordinator's shapes — a `ClusterStatus` on a
/// `CoordinatorHandle` and `StepLogLine`s — so that one dashboard (`ClusterDashboard`) and
/// one `--log-json` format serve both: the single process shows as the run's one worker.
public final class LocalRunFeed: Sendable {
    /// Where the dashboard reads the status from.
    public let handle = CoordinatorHandle()
    private let log: JSONLineFile?
    private let batchSize: Int
    private let workerName: String
    private let started = Date()
    /// When the last step ended (or training started): a step's wall time is the gap.
    private let lastStepEnd = LockedBox(Date())

    /// - Parameters:
    ///   - log: the `--log-json` file, if any.
    public init(config: RunConfig, log: JSONLineFile?) {
        self.log = log
        batchSize = config.training.batchSize
        workerName = "this process (\(ProcessInfo.processInfo.hostName))"
        handle.status.update { s in
            s.run = config.name
            s.lossNames = StepLosses.names
        }
    }

    private var elapsed: Double { Date().timeIntervalSince(started) }

    /// Records one of the trainer's events.
    public func record(_ event: TrainingEvent) {
        switch event {
        case let .started(progress, _, stepsPerEpoch, totalEpochs):
            lastStepEnd.set(Date())
            handle.status.update { s in
                s.phase = "training"
                s.totalEpochs = totalEpochs
                s.totalSteps = stepsPerEpoch * totalEpochs
                s.step = progress.globalStep
                s.epoch = progress.epoch
                s.workers = [worker(stepSeconds: 0)]
            }
        case .step(let report):
            let now = Date()
            let stepSeconds = now.timeIntervalSince(lastStepEnd.get())
            lastStepEnd.set(now)
            let values = report.losses.values
            let status = handle.status.update { s -> ClusterStatus in
                s.step = report.globalStep
                s.epoch = report.epoch
                s.learningRate = report.learningRate
                s.samplesPerSecond = report.samplesPerSecond
                s.trainingSeconds = elapsed
                s.etaSeconds = report.etaSeconds
                s.losses = values
                s.recordLosses(step: report.globalStep, values: values)
                s.workers = [worker(stepSeconds: stepSeconds)]
                return s
            }
            log?.write(StepLogLine(
                time: elapsed, step: report.globalStep, epoch: report.epoch, learningRate: report.learningRate,
                samples: batchSize, samplesPerSecond: report.samplesPerSecond, trainingSeconds: status.trainingSeconds,
                stepSeconds: stepSeconds, allReduceSeconds: 0, allReduceWaitSeconds: 0,
                lossNames: StepLosses.names, losses: values,
                workers: [StepLogLine.Worker(id: 0, name: workerName, slots: batchSize, computeSeconds: stepSeconds,
                                             reduceSeconds: 0, waitSeconds: 0)]).json)
        case let .validation(epoch, directory):
            handle.status.update { $0.lastValidationEpoch = epoch }
            note("validation images of epoch \(epoch) in \(directory)")
        case .checkpoint(let directory):
            handle.status.update { $0.lastCheckpoint = directory }
            note("checkpoint \(directory)")
        case .epochFinished:
            break
        }
    }

    /// Every epoch of the run is done.
    public func finish() {
        handle.status.update { $0.phase = "finished" }
    }

    /// An event for the dashboard's list and the `--log-json` file.
    private func note(_ text: String) {
        let time = elapsed
        let step = handle.status.update { s -> Int in
            s.recordEvent(time: time, text: text)
            return s.step
        }
        log?.write(StepLogLine(time: time, step: step, event: text).json)
    }

    private func worker(stepSeconds: Double) -> ClusterStatus.Worker {
        ClusterStatus.Worker(id: 0, name: workerName, address: ClusterStatus.localAddress, state: "training", slots: batchSize, share: 1,
                             stepSeconds: stepSeconds, allReduceSeconds: 0, sendMBps: 0, receiveMBps: 0)
    }
}

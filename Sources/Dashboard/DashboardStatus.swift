import Foundation
import Gallery

/// Everything the dashboard shows about a run at one moment. The coordinator
/// fills it; `/api/status` is its JSON (dates ISO 8601, non-finite numbers as
/// the strings "NaN", "Infinity", "-Infinity").
public struct DashboardStatus: Sendable, Codable, Equatable {
    /// Run name (`cluster.yaml`'s `name`).
    public var runName = ""
    public var phase = RunPhase.starting
    /// The run's settings as `key`/`value` text, in `cluster.yaml` order.
    public var settings: [DashboardSetting] = []
    /// Current epoch, 1-based (0 before the first step).
    public var epoch = 0
    /// Epochs in the run (`n_epochs + n_epochs_decay`).
    public var totalEpochs = 0
    /// Steps finished in the current epoch.
    public var stepInEpoch = 0
    public var stepsPerEpoch = 0
    /// Optimisation steps finished since the run began.
    public var globalStep = 0
    /// Global batch: samples per step.
    public var batchSize = 0
    /// Training throughput, samples per second (recent average).
    public var samplesPerSecond = 0.0
    /// Estimated seconds until the run ends; nil while unknown.
    public var etaSeconds: Double?
    /// Current learning rate; nil before the first step.
    public var learningRate: Double?
    public var losses = LossHistory()
    public var workers: [WorkerRow] = []
    /// Most recent last; at most `maxEvents` are kept by `record(_:)`.
    public var events: [DashboardEvent] = []
    public var gallery = ValidationGallery()
    /// When this status was last changed.
    public var updatedAt: Date?

    public static let maxEvents = 200

    public init() {}

    /// Appends `event`, dropping the oldest beyond `maxEvents`.
    public mutating func record(_ event: DashboardEvent) {
        events.append(event)
        if events.count > Self.maxEvents { events.removeFirst(events.count - Self.maxEvents) }
    }

    /// Fraction of the run done, 0...1.
    public var progress: Double {
        let total = totalEpochs * stepsPerEpoch
        guard total > 0 else { return 0 }
        let done = max(0, epoch - 1) * stepsPerEpoch + stepInEpoch
        return min(1, max(0, Double(done) / Double(total)))
    }
}

/// Where the run is in its life.
public enum RunPhase: String, Sendable, Codable, Equatable, CaseIterable {
    case starting
    case waitingForWorkers = "waiting-for-workers"
    case training
    case finished
    case failed
}

/// One configuration setting shown on the page.
public struct DashboardSetting: Sendable, Codable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// One worker's row in the worker table.
public struct WorkerRow: Sendable, Codable, Equatable {
    public var name: String
    /// `HOST:PORT` it connected from.
    public var address: String
    /// Samples of the global batch it computes each step.
    public var batchShare: Int
    /// Seconds its last step took (compute and all-reduce); nil before its first.
    public var stepSeconds: Double?
    /// Recent send and receive rates, megabytes (10^6 bytes) per second.
    public var sendMBps: Double
    public var recvMBps: Double
    public var joinedAt: Date
    public var state: WorkerState

    public init(name: String, address: String, batchShare: Int, stepSeconds: Double? = nil,
                sendMBps: Double = 0, recvMBps: Double = 0, joinedAt: Date, state: WorkerState) {
        self.name = name
        self.address = address
        self.batchShare = batchShare
        self.stepSeconds = stepSeconds
        self.sendMBps = sendMBps
        self.recvMBps = recvMBps
        self.joinedAt = joinedAt
        self.state = state
    }
}

public enum WorkerState: String, Sendable, Codable, Equatable, CaseIterable {
    /// Connected, receiving the model.
    case joining
    /// Computing its share of each step.
    case active
    /// Left on its own.
    case left
    /// Stopped answering or failed.
    case lost
}

/// Something that happened during the run.
public struct DashboardEvent: Sendable, Codable, Equatable {
    public var time: Date
    public var kind: EventKind
    public var message: String

    public init(time: Date, kind: EventKind, message: String) {
        self.time = time
        self.kind = kind
        self.message = message
    }
}

public enum EventKind: String, Sendable, Codable, Equatable, CaseIterable {
    case join, leave, failure, checkpoint, epoch, info
}

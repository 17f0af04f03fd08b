import Foundation

/// One `--log-json` line: either one committed step's own figures or one event
/// (a join, a departure, a dropped step, a checkpoint…), written when it happens.
///
/// A line never repeats earlier steps: a reader rebuilds the history by reading
/// the lines in order, and a line's size does not depend on how far the run is
/// (only on the number of loss terms and workers). Numbers are rounded to what
/// they mean (losses as `Float`, seconds to the microsecond) so that their
/// printed length stays steady too.
public struct StepLogLine: Sendable, Equatable, Codable {
    /// Per-worker figures of a step.
    public struct Worker: Sendable, Equatable, Codable {
        public var id: Int
        public var name: String
        public var slots: Int
        /// Seconds computing (both passes), in the all-reduce, and waiting at its barrier.
        public var computeSeconds: Double
        public var reduceSeconds: Double
        public var waitSeconds: Double

        public init(id: Int, name: String, slots: Int, computeSeconds: Double, reduceSeconds: Double, waitSeconds: Double) {
            self.id = id; self.name = name; self.slots = slots
            self.computeSeconds = StepLogLine.rounded(computeSeconds)
            self.reduceSeconds = StepLogLine.rounded(reduceSeconds)
            self.waitSeconds = StepLogLine.rounded(waitSeconds)
        }
    }

    /// "step" or "event".
    public var type: String
    /// Seconds since the coordinator started.
    public var time: Double
    /// The committed step (for events: the last committed step when it happened).
    public var step: Int
    // Step lines only (nil on events):
    public var epoch: Int?
    public var learningRate: Double?
    /// Samples in the step.
    public var samples: Int?
    /// Samples per second since this coordinator session started training, and those seconds.
    public var samplesPerSecond: Double?
    public var trainingSeconds: Double?
    /// Wall seconds from planning the step to committing it.
    public var stepSeconds: Double?
    /// The slowest member's all-reduce, and the longest wait at the ring barrier.
    public var allReduceSeconds: Double?
    public var allReduceWaitSeconds: Double?
    /// The step's losses (global-batch means), by name.
    public var losses: [String: Float]?
    public var workers: [Worker]?
    // Event lines only:
    public var text: String?

    /// A step's line.
    public init(time: Double, step: Int, epoch: Int, learningRate: Double, samples: Int, samplesPerSecond: Double,
                trainingSeconds: Double, stepSeconds: Double, allReduceSeconds: Double, allReduceWaitSeconds: Double,
                lossNames: [String], losses: [Double], workers: [Worker]) {
        type = "step"
        self.time = Self.rounded(time); self.step = step; self.epoch = epoch; self.learningRate = learningRate
        self.samples = samples
        self.samplesPerSecond = Self.rounded(samplesPerSecond); self.trainingSeconds = Self.rounded(trainingSeconds)
        self.stepSeconds = Self.rounded(stepSeconds)
        self.allReduceSeconds = Self.rounded(allReduceSeconds); self.allReduceWaitSeconds = Self.rounded(allReduceWaitSeconds)
        var named: [String: Float] = [:]
        for (name, value) in zip(lossNames, losses) { named[name] = Float(value) }
        self.losses = named
        self.workers = workers
    }

    /// An event's line.
    public init(time: Double, step: Int, event: String) {
        type = "event"
        self.time = Self.rounded(time); self.step = step; text = event
    }

    /// Rounded to the microsecond (non-finite values unchanged).
    static func rounded(_ value: Double) -> Double {
        value.isFinite ? (value * 1e6).rounded() / 1e6 : value
    }

    /// The line as written (no newline). Non-finite numbers become strings.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard let data = try? encoder.encode(self) else { return "{\"type\":\"\(type)\",\"step\":\(step)}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Where the time of the step lines in `lines` went, averaged over those lines (event
    /// lines and lines without worker figures are skipped):
    /// - `computePerSample`: seconds a worker computed per slot it held (both passes);
    /// - `beyondCompute`: seconds a step took beyond its slowest worker's compute (the
    ///   all-reduce left after the passes, the exchange and commit round trips, the update).
    /// So `steps × (slots per worker × computePerSample + beyondCompute)` is roughly the run,
    /// and the two say whether a speed-up falls short in the computing or around it.
    public static func timeShares(_ lines: [StepLogLine]) -> (computePerSample: Double, beyondCompute: Double)? {
        var perSample: [Double] = [], beyond: [Double] = []
        for line in lines where line.type == "step" {
            guard let step = line.stepSeconds, let workers = line.workers, let slowest = workers.map(\.computeSeconds).max() else { continue }
            perSample += workers.filter { $0.slots > 0 }.map { $0.computeSeconds / Double($0.slots) }
            beyond.append(step - slowest)
        }
        guard !perSample.isEmpty else { return nil }
        return (perSample.reduce(0, +) / Double(perSample.count), beyond.reduce(0, +) / Double(beyond.count))
    }

    /// Parses one line as written by `json`; nil for anything else.
    public static func parse(_ line: some StringProtocol) -> StepLogLine? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try? decoder.decode(StepLogLine.self, from: Data(line.utf8))
    }
}

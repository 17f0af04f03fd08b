/// A snapshot of a coordinator's run for progress lines, `--log-json` and the dashboard.
public struct ClusterStatus: Sendable, Equatable, Codable {
    public struct Worker: Sendable, Equatable, Codable {
        public var id: Int
        public var name: String
        public var address: String
        /// "joining", "syncing", "training", "idle".
        public var state: String
        /// Slots of the last step.
        public var slots: Int
        /// Share of the global batch, 0...1.
        public var share: Double
        /// Seconds of the worker's last step (compute + all-reduce).
        public var stepSeconds: Double
        /// Seconds this worker spent in the last all-reduce, including waiting for slower peers.
        public var allReduceSeconds: Double
        /// Throughput of its connection to the coordinator, MB/s.
        public var sendMBps: Double
        public var receiveMBps: Double

        public init(id: Int, name: String, address: String, state: String, slots: Int, share: Double, stepSeconds: Double,
                    allReduceSeconds: Double, sendMBps: Double, receiveMBps: Double) {
            self.id = id; self.name = name; self.address = address; self.state = state; self.slots = slots
            self.share = share; self.stepSeconds = stepSeconds; self.allReduceSeconds = allReduceSeconds
            self.sendMBps = sendMBps; self.receiveMBps = receiveMBps
        }
    }

    public struct Event: Sendable, Equatable, Codable {
        /// Seconds since the coordinator started.
        public var time: Double
        public var text: String
    }

    public struct LossPoint: Sendable, Equatable, Codable {
        public var step: Int
        public var values: [Double]
    }

    public var run: String = ""
    /// "waiting for workers", "training", "finished", ...
    public var phase: String = "starting"
    public var epoch: Int = 0
    public var totalEpochs: Int = 0
    public var step: Int = 0
    public var totalSteps: Int = 0
    public var samplesPerSecond: Double = 0
    /// Seconds since this coordinator session planned its first step (at the last step's report).
    public var trainingSeconds: Double = 0
    public var etaSeconds: Double = 0
    public var learningRate: Double = 0
    public var lossNames: [String] = []
    /// The last step's losses (global-batch means).
    public var losses: [Double] = []
    /// Recent history, oldest first (bounded).
    public var lossHistory: [LossPoint] = []
    public var workers: [Worker] = []
    /// Recent events (joins, departures, dropped steps, checkpoints), oldest first (bounded).
    public var events: [Event] = []
    public var lastCheckpoint: String = ""
    /// The last epoch whose validation images were written (0: none yet).
    public var lastValidationEpoch: Int = 0
    /// Seconds the last step's all-reduce moved gradients, from the ring barrier (every member
    /// had finished computing) to the end, the slowest member's: the ring's own time,
    /// comparable with 2(N-1)/N x gradient bytes / link rate.
    public var allReduceSeconds: Double = 0
    /// How long a member waited at the ring barrier for the slowest one to finish computing in
    /// the last step (the longest such wait): load imbalance, not network.
    public var allReduceWaitSeconds: Double = 0

    /// Loss points `lossHistory` keeps (the dashboard downsamples further).
    public static let lossHistoryLimit = 2000
    /// Events `events` keeps.
    public static let eventLimit = 200

    public init() {}

    /// Appends a committed step's losses, dropping the oldest beyond `lossHistoryLimit`.
    public mutating func recordLosses(step: Int, values: [Double]) {
        lossHistory.append(LossPoint(step: step, values: values))
        if lossHistory.count > Self.lossHistoryLimit { lossHistory.removeFirst(lossHistory.count - Self.lossHistoryLimit) }
    }

    /// Appends an event, dropping the oldest beyond `eventLimit`.
    public mutating func recordEvent(time: Double, text: String) {
        events.append(Event(time: time, text: text))
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }

    /// The address `herd train` gives its one in-process worker (`LocalRunFeed`).
    public static let localAddress = "local"

    /// The one-line progress text, the coordinator's and `herd train`'s: epoch, step, samples/s,
    /// ETA, learning rate, every loss; for a cluster also the all-reduce and each worker.
    public var progressLine: String {
        let lossText = zip(lossNames, losses).map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: " ")
        let head = String(format: "epoch %d/%d step %d/%d  %.2f samples/s  ETA %@  lr %.2e  %@",
                          epoch, totalEpochs, step, totalSteps, samplesPerSecond, Self.duration(etaSeconds), learningRate, lossText)
        if !workers.isEmpty && workers.allSatisfy({ $0.address == Self.localAddress }) { return head }
        let workerText = workers.filter { $0.state == "training" }.map {
            String(format: "%@ %.0f%% %.2fs %.1f/%.1fMB/s", $0.name, $0.share * 100, $0.stepSeconds, $0.sendMBps, $0.receiveMBps)
        }.joined(separator: ", ")
        return head + String(format: "  allreduce %.3fs (+%.3fs waiting)  workers: %@",
                             allReduceSeconds, allReduceWaitSeconds, workerText.isEmpty ? "none" : workerText)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds)
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }
}

import Cluster
import Config
import Dashboard
import Foundation

/// Feeds a coordinator's `ClusterStatus` into the live dashboard and saves
/// its static snapshot (`<run>/dashboard.html`) at every epoch end and when
/// the run stops.
///
/// A polling thread copies each new status (twice a second) so that the loss
/// history keeps every committed step, downsampled by `LossHistory`.
public final class ClusterDashboard: Sendable {
    public let dashboard: Dashboard
    public let snapshotPath: String
    private let handle: CoordinatorHandle
    private let seen = LockedBox(SeenState())
    private let running = LockedBox(true)
    /// The server `serve` started, kept here: a released `HTTPServer` stops listening.
    private let server = LockedBox<HTTPServer?>(nil)

    private struct SeenState: Sendable {
        var lastLossStep = 0
        var lastEventCount = 0
        var lastEventTime = -1.0
        var lastSnapshotEpoch = 0
        var lastValidationEpoch = 0
        /// When each present worker (by id) was first seen (departed workers are forgotten).
        var joined: [Int: Date] = [:]
    }

    /// - Parameters:
    ///   - runDirectory: `<checkpoint.directory>/<name>`; `val/` below it is the gallery.
    public init(config: RunConfig, handle: CoordinatorHandle, runDirectory: String) {
        self.handle = handle
        snapshotPath = runDirectory + "/dashboard.html"
        var initial = DashboardStatus()
        initial.runName = config.name
        initial.settings = config.settings.map { DashboardSetting(key: $0.key, value: $0.value) }
        initial.batchSize = config.training.batchSize
        dashboard = Dashboard(status: initial, valDirectory: runDirectory + "/val")
    }

    /// Serves the dashboard on `listen` (see `Dashboard.start`), keeping the server for as long
    /// as this object lives, and starts polling. Nil when `listen` is empty (no dashboard).
    /// - Throws: `DashboardError` for a malformed or refused address or a bind failure.
    public func serve(listen: String, allowNonLoopback: Bool) throws(DashboardError) -> HTTPServer? {
        guard let started = try dashboard.start(listen: listen, allowNonLoopback: allowNonLoopback) else { return nil }
        server.set(started)
        startPolling()
        return started
    }

    /// Starts the polling thread.
    public func startPolling() {
        Thread.detachNewThread { [self] in
            while running.get() {
                refresh()
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// Stops polling after one last refresh and snapshot.
    public func stop() {
        running.set(false)
        refresh()
        writeSnapshot()
    }

    /// Copies the coordinator's status into the dashboard; writes the snapshot at epoch ends.
    public func refresh() {
        let cluster = handle.status.get()
        let finishedEpoch: Int? = seen.update { seen -> Int? in
            var newLosses: [ClusterStatus.LossPoint] = []
            for point in cluster.lossHistory where point.step > seen.lastLossStep { newLosses.append(point) }
            if let last = newLosses.last { seen.lastLossStep = last.step }
            let newEvents = cluster.events.filter { $0.time > seen.lastEventTime }
            if let last = newEvents.last { seen.lastEventTime = last.time }
            let now = Date()
            var joined: [Int: Date] = [:]
            for worker in cluster.workers { joined[worker.id] = seen.joined[worker.id] ?? now }
            seen.joined = joined
            if cluster.lastValidationEpoch > seen.lastValidationEpoch {
                seen.lastValidationEpoch = cluster.lastValidationEpoch
                dashboard.recordValidationEpoch(cluster.lastValidationEpoch)
            }
            dashboard.update { status in
                Self.copy(cluster, into: &status, joined: joined)
                for point in newLosses {
                    if let values = Self.lossValues(names: cluster.lossNames, values: point.values) {
                        status.losses.append(step: point.step, losses: values)
                    }
                }
                for event in newEvents { status.record(Self.event(event, at: now)) }
            }
            // The epoch whose last step has just been committed.
            let stepsPerEpoch = cluster.totalEpochs > 0 ? cluster.totalSteps / cluster.totalEpochs : 0
            guard stepsPerEpoch > 0 else { return nil }
            let completed = cluster.step / stepsPerEpoch
            if completed > seen.lastSnapshotEpoch {
                seen.lastSnapshotEpoch = completed
                return completed
            }
            return nil
        }
        if finishedEpoch != nil { writeSnapshot() }
    }

    /// Writes the static page atomically next to the run's `val/` directory.
    public func writeSnapshot() {
        let html = dashboard.snapshotHTML()
        try? html.write(toFile: snapshotPath, atomically: true, encoding: .utf8)
    }

    static func copy(_ cluster: ClusterStatus, into status: inout DashboardStatus, joined: [Int: Date]) {
        status.runName = cluster.run
        status.phase = phase(cluster.phase)
        status.totalEpochs = cluster.totalEpochs
        let stepsPerEpoch = cluster.totalEpochs > 0 ? cluster.totalSteps / cluster.totalEpochs : 0
        status.stepsPerEpoch = stepsPerEpoch
        status.globalStep = cluster.step
        if stepsPerEpoch > 0 {
            // Step k (1-based) is step (k-1) % spe + 1 of epoch (k-1) / spe + 1.
            status.epoch = cluster.step == 0 ? 1 : (cluster.step - 1) / stepsPerEpoch + 1
            status.stepInEpoch = cluster.step == 0 ? 0 : (cluster.step - 1) % stepsPerEpoch + 1
        }
        status.samplesPerSecond = cluster.samplesPerSecond
        status.etaSeconds = cluster.etaSeconds.isFinite ? cluster.etaSeconds : nil
        status.learningRate = cluster.learningRate > 0 ? cluster.learningRate : nil
        status.workers = cluster.workers.map { worker in
            WorkerRow(name: worker.name, address: worker.address, batchShare: worker.slots,
                      stepSeconds: worker.stepSeconds > 0 ? worker.stepSeconds : nil,
                      sendMBps: worker.sendMBps, recvMBps: worker.receiveMBps,
                      joinedAt: joined[worker.id] ?? Date(), state: workerState(worker.state))
        }
    }

    /// The dashboard's nine loss terms from the coordinator's named values;
    /// `G` (the generators' total) is the sum of the six generator terms when
    /// the coordinator does not report it.
    static func lossValues(names: [String], values: [Double]) -> LossValues? {
        guard names.count == values.count else { return nil }
        var byName: [String: Double] = [:]
        for (name, value) in zip(names, values) { byName[name] = value }
        let generatorTerms = ["G_gan_AB", "G_gan_BA", "cycle_A", "cycle_B", "idt_A", "idt_B"]
        if byName["G"] == nil {
            let terms = generatorTerms.compactMap { byName[$0] }
            guard terms.count == generatorTerms.count else { return nil }
            byName["G"] = terms.reduce(0, +)
        }
        let ordered = LossValues.names.compactMap { byName[$0] }
        guard ordered.count == LossValues.names.count else { return nil }
        return LossValues(ordered)
    }

    static func phase(_ text: String) -> RunPhase {
        // A joining worker receives the state between two steps: the run goes on.
        if text == "training" || text.hasPrefix("syncing") { return .training }
        if text.hasPrefix("waiting") { return .waitingForWorkers }
        return RunPhase(rawValue: text) ?? .starting
    }

    static func workerState(_ text: String) -> WorkerState {
        switch text {
        case "training": return .active
        case "left": return .left
        case "lost": return .lost
        default: return .joining
        }
    }

    /// Classifies a coordinator event by its text (seen at `time`).
    static func event(_ event: ClusterStatus.Event, at time: Date) -> DashboardEvent {
        let text = event.text
        let kind: EventKind
        if text.hasPrefix("ERROR") || text.contains("dropped") || text.contains("could not") { kind = .failure }
        else if text.hasPrefix("worker ") && text.contains(" joined ") { kind = .join }
        else if text.hasPrefix("worker ") && text.contains(" left") { kind = .leave }
        else if text.hasPrefix("checkpoint") { kind = .checkpoint }
        else if text.hasPrefix("validation images") { kind = .epoch }
        else { kind = .info }
        return DashboardEvent(time: time, kind: kind, message: text)
    }
}

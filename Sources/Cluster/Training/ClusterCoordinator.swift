import Config
import Foundation

/// The coordinator of a data-parallel run: admits workers, plans every step,
/// runs the model's exchange (CycleGAN: the image pools), commits or drops steps, checkpoints, and collects
/// validation images. Everything it decides happens on the thread calling
/// `run()`; connection threads only authenticate peers and queue their messages.
///
/// Step protocol (attempt = ring generation):
/// plan (each slot's files by SHA-256 and its sample plan) → workers ask (`blobRequest`)
/// for the files they do not hold and get them (`blobs`) → workers' first passes → `firstPassResults`
/// → the exchange in slot order → `exchanged` → second passes → ring all-reduce among workers → `reduced` (CRC of the
/// sum) → `commit` when every member reported the same sum, else `abort` and the
/// step is redone by the workers still alive. Replicas apply the update only on commit.
public final class ClusterCoordinator {
    let options: CoordinatorOptions
    let model: RunModel
    let token: ClusterToken
    let handle: CoordinatorHandle
    let log: @Sendable (String) -> Void
    let jsonLog: (@Sendable (String) -> Void)?
    let schedule: StepSchedule
    let events = EventQueue<CoordinatorEvent>()
    /// Set when `run()` returns: connection threads then let their workers go.
    let ended = LockedBox(false)
    let started = Date()
    /// The next member id (taken by the connection threads as they admit workers).
    let idCounter = LockedBox(1)

    // MARK: State (read and written on the `run()` thread only)

    /// Every admitted worker, synced or not, by id.
    var members: [Int: Member] = [:]
    /// The step attempt in flight and the attempts before it.
    var attempts = Attempts()
    /// The last committed step and the coordinator's copy of its state.
    var committed: Committed
    /// What the next step boundary still owes: a checkpoint, validation images.
    var owed = BoundaryWork()
    /// Samples trained and the time since training started, and the progress line's throttle.
    var pace: Pace

    enum CoordinatorEvent: Sendable {
        case joined(id: Int, name: String, connection: Connection, ring: RingMember, threads: Int)
        case message(Int, Message)
        case lost(Int, String)
    }

    struct Member {
        var id: Int
        var name: String
        var connection: Connection
        var ring: RingMember
        var threads: Int
        /// Holds the committed state (acknowledged with a checksum).
        var synced = false
        var syncing = false
        /// Seconds per slot, smoothed.
        var secondsPerSlot: Double?
        var lastSlots = 0
        /// Its part of the last step planned with it (`lastSlots` over that step's slots).
        var lastShare = 0.0
        /// The files it may ask for (`blobRequest`): those of its current plan or validation
        /// request not sent yet. Each is sent once; see `serveBlobs`.
        var servable: Set<[UInt8]> = []
        /// Asks for other files since its last plan.
        var ignoredAsks = 0
        var lastStepSeconds = 0.0
        var lastReduceSeconds = 0.0
        var bytesMark = (sent: 0, received: 0, time: Date())
        var rates = (send: 0.0, receive: 0.0)
    }

    struct StepInFlight {
        var step: Int
        var generation: Int
        var epoch: Int
        var learningRate: Double
        var ring: [Int]
        var slotsOf: [Int: [Int]]
        var tickets: [SlotTicket]
        var firstPassResults: [Int: [Float]] = [:]
        var exchangedSent = false
        var exchangeBefore: any Sendable
        var reduced: [Int: Reduced] = [:]
        var startedAt = Date()
    }

    /// The step attempt in flight (attempt = ring generation) and the attempts before it.
    struct Attempts {
        /// The attempt the workers are computing; nil between steps.
        var inFlight: StepInFlight?
        /// The newest attempt's ring generation: a new one for every new ring and every redo.
        var generation = 0
        /// The ring (member ids) of the last plan.
        var lastRing: [Int] = []
        /// Attempts each member's failure ended since the last commit (it is evicted at 2).
        var failedBy: [Int: Int] = [:]
    }

    /// The run as of its last committed step.
    struct Committed {
        var step: Int
        /// The coordinator's copy of the replica state (from init, a checkpoint or a replica),
        /// at `state.step`: behind `step` until a replica sends it (`ensureStateCopy`).
        var state: ReplicaState
        /// The exchange's state (CycleGAN: the pools) at `state.step`.
        var exchange: any Sendable
        /// The member asked for the state of `step`, and the chunks received so far.
        var stateRequest: (memberID: Int, assembler: StateTransfer.Assembler?)?
        /// Parameter checksums the replicas reported, by step then member (the last 100 steps).
        var checksums: [Int: [Int: UInt32]] = [:]
    }

    /// What the next step boundary still owes, in this order: validation images, then the checkpoint.
    struct BoundaryWork {
        /// A checkpoint of the committed step is due.
        var checkpoint = false
        /// The epoch whose validation images are due.
        var validationEpoch: Int?
        /// The epoch whose validation images were last said to wait for a worker (said once).
        var announcedValidationWait: Int?
    }

    /// The figures of the progress line.
    struct Pace {
        /// Samples committed since this coordinator started training.
        var samples = 0
        /// When this coordinator started training (planned its first step); nil before.
        var since: Date?
        var trainingStarted: Bool { since != nil }
        /// At most one progress line per interval.
        var throttle: ProgressThrottle
    }

    /// - Throws: `ClusterError.model` when the initial state or the checkpoint cannot be loaded.
    public init(options: CoordinatorOptions, model: RunModel, token: ClusterToken, handle: CoordinatorHandle = CoordinatorHandle(),
                log: @escaping @Sendable (String) -> Void = { print($0) }, jsonLog: (@Sendable (String) -> Void)? = nil) throws(ClusterError) {
        self.options = options
        self.model = model
        self.token = token
        self.handle = handle
        self.log = log
        self.jsonLog = jsonLog
        schedule = StepSchedule(epochLength: model.epochLength, batchSize: options.batchSize, totalEpochs: model.totalEpochs)
        pace = Pace(throttle: ProgressThrottle(interval: options.progressIntervalSeconds))
        let state: ReplicaState
        do {
            if options.resume, let resumed = try model.loadLatestCheckpoint() {
                state = resumed
                log("resuming \(options.runName) from its checkpoint at step \(resumed.step)")
            } else {
                state = try model.initialState()
            }
        } catch {
            throw .model("cannot prepare the run state: \(error)")
        }
        committed = Committed(step: state.step, state: state, exchange: model.exchangeSnapshot())
        handle.status.update { s in
            s.run = options.runName; s.totalEpochs = schedule.totalEpochs; s.totalSteps = schedule.totalSteps
            s.step = committed.step; s.lossNames = model.lossNames; s.phase = "waiting for workers"
        }
    }

    // MARK: Running

    /// Listens and trains until the schedule ends (or `handle.stop()`).
    /// - Throws: `ClusterError` for a listen failure, a model failure or diverged replicas.
    public func run() throws(ClusterError) {
        let listener: Listener
        do { listener = try Listener(on: options.listen) } catch { throw .transport(error) }
        handle.boundAddress.set(listener.address)
        defer {
            ended.set(true)
            listener.close()
            for m in members.values { m.connection.close() }
        }
        if FrameSeal.wireIsUnsealed { log(FrameSeal.unsealedWarning) }
        startAccepting(listener)
        event("listening on \(listener.address); waiting for \(options.minWorkers) worker(s)")
        while true {
            if handle.stopFlag.get() {
                broadcast(.bye("the coordinator is stopping"))
                setPhase("stopped")
                return
            }
            while let e = events.pop(timeout: attempts.inFlight == nil ? 0.02 : 0.1) {
                try handle(e)
                if handle.stopFlag.get() { break }
            }
            if attempts.inFlight == nil {
                if try betweenSteps() { return }
            }
        }
    }

    /// Work at a step boundary. Returns true when the run is over.
    private func betweenSteps() throws(ClusterError) -> Bool {
        if committed.stateRequest != nil { return false }
        let unsynced = members.values.filter { !$0.synced && !$0.syncing }
        if owed.checkpoint || !unsynced.isEmpty || owed.validationEpoch != nil {
            guard try ensureStateCopy() else { return false }
        }
        // The epoch's validation images before its checkpoint, as `herd train` writes them: a
        // coordinator that dies in between resumes before that checkpoint and renders them again.
        if let epoch = owed.validationEpoch, try runValidation(epoch: epoch) {
            owed.validationEpoch = nil
        }
        if owed.checkpoint && owed.validationEpoch == nil {
            do {
                let path = try model.saveCheckpoint(committed.state)
                handle.status.update { $0.lastCheckpoint = path }
                event("checkpoint at step \(committed.step): \(path)")
            } catch {
                throw .model("cannot write the checkpoint of step \(committed.step): \(error)")
            }
            owed.checkpoint = false
        }
        for m in unsynced { sync(m.id) }
        if owed.validationEpoch != nil {
            setPhase("waiting for a worker to render the validation images")
            return false
        }
        if options.stopAfterStep.map({ committed.step >= $0 }) == true {
            broadcast(.bye("the coordinator is stopping"))
            setPhase("stopped")
            return true
        }
        if committed.step >= schedule.totalSteps {
            broadcast(.bye("run finished"))
            setPhase("finished")
            event("run finished at step \(committed.step)")
            return true
        }
        let ready = members.values.filter(\.synced)
        let needed = pace.trainingStarted ? 1 : options.minWorkers
        if ready.count >= needed && !members.values.contains(where: \.syncing) {
            try plan(step: committed.step + 1)
        } else if members.count >= needed {
            setPhase("syncing the state to joining worker(s)")
        } else {
            setPhase(members.isEmpty ? "waiting for workers" : "waiting for \(needed - members.count) more worker(s)")
        }
        return false
    }

    /// Makes `committed.state` hold the committed step: asks a synced replica, or rolls back
    /// to the copy when no replica holds the committed step any more. Returns true when ready.
    private func ensureStateCopy() throws(ClusterError) -> Bool {
        if committed.state.step == committed.step { return true }
        if let source = members.values.filter(\.synced).min(by: { $0.id < $1.id }) {
            committed.stateRequest = (source.id, nil)
            send(.stateRequest(StateRequest(step: committed.step)), to: source.id)
            return false
        }
        // Nobody holds the committed parameters: redo the lost steps from the copy.
        do { try model.restoreExchange(committed.exchange) } catch { throw .model("cannot restore the exchange's state: \(error)") }
        event("no live replica holds step \(committed.step); rolling back to step \(committed.state.step) and redoing the steps after it")
        committed.step = committed.state.step
        owed.checkpoint = false
        owed.validationEpoch = nil   // the redone epoch end asks for them again
        return true
    }

    private func sync(_ id: Int) {
        guard var m = members[id] else { return }
        m.syncing = true
        members[id] = m
        event("sending the state of step \(committed.state.step) to \(m.name)")
        do { try StateTransfer.send(committed.state, over: m.connection) } catch { drop(id, "state transfer failed: \(error)") }
    }

    // MARK: Events

    private func handle(_ e: CoordinatorEvent) throws(ClusterError) {
        switch e {
        case .joined(let id, let name, let connection, let ring, let threads):
            members[id] = Member(id: id, name: name, connection: connection, ring: ring, threads: threads)
            event("worker \(name) joined from \(connection.remote) (id \(id), \(threads) threads)")
        case .lost(let id, let reason):
            drop(id, reason)
        case .message(let id, let message):
            guard members[id] != nil else { return }
            try handle(message, from: id)
        }
    }

    /// Forgets a member; drops the step in flight if it took part.
    func drop(_ id: Int, _ reason: String) {
        guard let m = members.removeValue(forKey: id) else { return }
        m.connection.close()
        event("worker \(m.name) left: \(reason)")
        if committed.stateRequest?.memberID == id { committed.stateRequest = nil }
        if let f = attempts.inFlight, f.ring.contains(id) {
            abortStep("worker \(m.name) left")
        }
    }

    private func handle(_ message: Message, from id: Int) throws(ClusterError) {
        guard let name = members[id]?.name else { return }
        switch message {
        case .heartbeat:
            break
        case .parameterChecksum(let c):
            if members[id]?.syncing == true {
                members[id]?.syncing = false
                members[id]?.synced = true
                event("\(name) holds the state of step \(c.step)")
            }
            try recordChecksum(c, from: id)
        case .stateBegin(let begin):
            guard committed.stateRequest?.memberID == id else { return drop(id, "sent a state nobody asked for") }
            // (Read before the write: `committed` may not be read while it is being modified.)
            let expected = committed.state.values.count
            do { committed.stateRequest?.assembler = try StateTransfer.Assembler(begin, expectedCount: expected) }
            catch { return drop(id, "bad state: \(error)") }
        case .stateChunk(let chunk):
            guard committed.stateRequest?.memberID == id, var assembler = committed.stateRequest?.assembler else { return drop(id, "sent a state chunk nobody asked for") }
            do {
                if let state = try assembler.add(chunk) {
                    guard state.step == committed.step else { return drop(id, "sent the state of step \(state.step), not \(committed.step)") }
                    committed.state = state
                    committed.exchange = model.exchangeSnapshot()
                    committed.stateRequest = nil
                } else {
                    committed.stateRequest?.assembler = assembler
                }
            } catch {
                drop(id, "bad state: \(error)")
            }
        case .blobRequest(let request):
            try serveBlobs(request, to: id)
        case .firstPassResults(let results):
            try receiveFirstPassResults(results, from: id)
        case .reduced(let r):
            try receiveReduced(r, from: id)
        case .stepFailed(let f):
            stepFailed(f, from: id)
        case .validationResult:
            break   // only expected inside runValidation
        case .bye(let reason):
            drop(id, "said goodbye (\(reason))")
        default:
            drop(id, "sent '\(message.kind.name)', which workers never send")
        }
    }

    /// Compares replicas' parameter checksums for a step. A replica that disagrees with the
    /// majority (ties: with the lowest id) is an error: it is dropped and resynchronised
    /// from the others when it reconnects; the run goes on with the agreeing replicas.
    private func recordChecksum(_ c: ParameterChecksum, from id: Int) throws(ClusterError) {
        guard c.step <= committed.step else { return drop(id, "sent a checksum for step \(c.step), beyond the committed step \(committed.step)") }
        committed.checksums[c.step, default: [:]][id] = c.crc
        let byID = committed.checksums[c.step, default: [:]]
        if Set(byID.values).count > 1 {
            var votes: [UInt32: Int] = [:]
            for v in byID.values { votes[v, default: 0] += 1 }
            let best = votes.values.max() ?? 0
            let winners = votes.filter { $0.value == best }.keys
            let reference = byID.filter { winners.contains($0.value) }.min { $0.key < $1.key }?.value ?? c.crc
            for (member, crc) in byID where crc != reference {
                let name = members[member]?.name ?? "#\(member)"
                event("ERROR: \(name)'s parameters differ from the other replicas after step \(c.step) (crc32 \(String(crc, radix: 16)) vs \(String(reference, radix: 16))); dropping it")
                committed.checksums[c.step]?[member] = nil
                drop(member, "parameter checksum mismatch")
            }
        }
        for step in committed.checksums.keys where step < committed.step - 100 { committed.checksums[step] = nil }
    }

    // MARK: The step

    private func plan(step: Int) throws(ClusterError) {
        let ring = members.values.filter(\.synced).sorted { $0.id < $1.id }
        let ids = ring.map(\.id)
        if ids != attempts.lastRing || attempts.generation == 0 { attempts.generation += 1 }
        attempts.lastRing = ids
        let epoch = schedule.epoch(ofStep: step)
        let samples = Array(schedule.samples(ofStep: step))
        let measured = ring.map { m in m.secondsPerSlot.map { 1 / $0 } ?? 0 }
        let speeds = options.speedsForStep?(step, ring.map(\.name)) ?? measured
        let counts = SlotAllocator.ranges(slots: samples.count, microBatch: model.microBatch, speeds: speeds).map(\.count)
        let lr = model.learningRate(epoch: epoch)
        var slotsOf: [Int: [Int]] = [:]
        var tickets: [SlotTicket] = []
        var next = 0
        for (m, count) in zip(ring, counts) {
            var mine: [Int] = []
            for _ in 0..<count {
                let slot = next; next += 1
                let spec: SampleSpec
                do { spec = try model.sample(epoch: epoch, index: samples[slot]) } catch { throw .model("cannot plan sample \(samples[slot]) of epoch \(epoch): \(error)") }
                tickets.append(SlotTicket(slot: slot, epoch: epoch, sampleIndex: samples[slot], blobs: spec.digests, plan: spec.plan))
                mine.append(slot)
            }
            slotsOf[m.id] = mine
        }
        let ringMembers = ring.map(\.ring)
        attempts.inFlight = StepInFlight(step: step, generation: attempts.generation, epoch: epoch, learningRate: lr, ring: ids, slotsOf: slotsOf,
                                tickets: tickets, exchangeBefore: model.exchangeSnapshot())
        if !pace.trainingStarted { pace.since = Date(); event("training starts at step \(step) with \(ring.count) worker(s)") }
        setPhase("training")
        // Workers ask (`blobRequest`) for the files of their slots they do not hold yet.
        let attempt = attempts.generation
        for m in ring {
            // A send that fails drops its member, which aborts this attempt (the members already
            // planned are told) and moves `attempts.generation` on: the rest must not get a plan nobody
            // tracks any more, or they would wait for its exchange forever.
            guard attempts.inFlight?.generation == attempt else { break }
            let mine = (slotsOf[m.id] ?? []).map { tickets[$0] }
            send(.stepPlan(StepPlan(step: step, epoch: epoch, learningRate: lr, globalBatch: samples.count,
                                    ringGeneration: attempt, ring: ringMembers, slots: mine)), to: m.id)
            members[m.id]?.lastSlots = mine.count
            members[m.id]?.lastShare = Double(mine.count) / Double(max(1, samples.count))
            members[m.id]?.servable = Set(mine.flatMap(\.blobs))
            members[m.id]?.ignoredAsks = 0
        }
    }

    private func receiveFirstPassResults(_ r: SlotResults, from id: Int) throws(ClusterError) {
        guard var f = attempts.inFlight, f.step == r.step, f.generation == r.generation else { return }   // a dropped attempt's
        let expected = f.slotsOf[id] ?? []
        guard r.payloads.map(\.slot) == expected, r.payloads.allSatisfy({ $0.values.count == model.exchangeCount }) else {
            return drop(id, "sent first-pass results for slots \(r.payloads.map(\.slot)) (sizes \(Set(r.payloads.map(\.values.count)))), expected slots \(expected) of \(model.exchangeCount) floats")
        }
        for p in r.payloads { f.firstPassResults[p.slot] = p.values }
        attempts.inFlight = f
        guard f.firstPassResults.count == f.tickets.count, !f.exchangedSent else { return }
        let ordered = (0..<f.tickets.count).compactMap { f.firstPassResults[$0] }
        let exchanged: [[Float]]
        do { exchanged = try model.exchange(ordered) } catch { throw .model("the exchange failed: \(error)") }
        attempts.inFlight?.exchangedSent = true
        attempts.inFlight?.firstPassResults = [:]
        for (member, slots) in f.slotsOf {
            guard attempts.inFlight?.generation == f.generation else { break }   // a failed send aborted it
            send(.exchanged(SlotResults(step: f.step, generation: f.generation,
                                     payloads: slots.map { SlotPayload(slot: $0, values: exchanged[$0]) })), to: member)
        }
    }

    private func receiveReduced(_ r: Reduced, from id: Int) throws(ClusterError) {
        guard var f = attempts.inFlight, f.step == r.step, f.generation == r.generation, f.ring.contains(id) else { return }
        guard r.losses.count == model.lossNames.count else {
            return drop(id, "reported \(r.losses.count) loss terms, the model has \(model.lossNames.count)")
        }
        f.reduced[id] = r
        attempts.inFlight = f
        guard f.reduced.count == f.ring.count else { return }
        let sums = Set(f.reduced.values.map(\.gradientCRC))
        guard sums.count == 1 else {
            abortStep("replicas hold different reduced gradients (crc32 \(sums.map { String($0, radix: 16) }.sorted()))")
            return
        }
        commit(f)
    }

    private func commit(_ f: StepInFlight) {
        // Committed before it is said: a member whose send fails is only dropped, never the cause
        // of an abort that the members told first would ignore (their replicas would part).
        attempts.inFlight = nil
        committed.step = f.step
        for id in f.ring { send(.commit(f.step), to: id) }
        attempts.failedBy = [:]
        pace.samples += f.tickets.count
        var losses = [Double](repeating: 0, count: model.lossNames.count)
        for r in f.reduced.values { for i in losses.indices { losses[i] += Double(r.losses[i]) } }
        var reduceSeconds = 0.0, waitSeconds = 0.0
        for id in f.ring {
            guard var m = members[id], let r = f.reduced[id] else { continue }
            let slots = f.slotsOf[id]?.count ?? 0
            if slots > 0 {
                let perSlot = r.computeSeconds / Double(slots)
                m.secondsPerSlot = m.secondsPerSlot.map { 0.5 * $0 + 0.5 * perSlot } ?? perSlot
            }
            m.lastStepSeconds = r.computeSeconds + r.reduceSeconds + r.reduceWaitSeconds
            m.lastReduceSeconds = r.reduceSeconds + r.reduceWaitSeconds
            reduceSeconds = max(reduceSeconds, r.reduceSeconds)
            waitSeconds = max(waitSeconds, r.reduceWaitSeconds)
            let now = Date()
            let dt = max(1e-3, now.timeIntervalSince(m.bytesMark.time))
            m.rates = (Double(m.connection.bytesSent - m.bytesMark.sent) / dt / 1e6, Double(m.connection.bytesReceived - m.bytesMark.received) / dt / 1e6)
            m.bytesMark = (m.connection.bytesSent, m.connection.bytesReceived, now)
            members[id] = m
        }
        let every = options.checkpointEverySteps
        // every_steps N > 0: every N-th step and the run's last; 0: every epoch end (see cluster.yaml).
        let due = every > 0 ? (f.step % every == 0 || f.step >= schedule.totalSteps) : schedule.endsEpoch(f.step)
        if due { owed.checkpoint = true }
        if schedule.endsEpoch(f.step) {
            let epoch = schedule.epoch(ofStep: f.step)
            if epoch % options.validationEveryEpochs == 0 || epoch == schedule.totalEpochs { owed.validationEpoch = epoch }
        }
        let elapsed = max(1e-6, Date().timeIntervalSince(pace.since ?? started))
        let rate = Double(pace.samples) / elapsed
        handle.status.update { s in
            s.step = f.step
            s.epoch = f.epoch
            s.learningRate = f.learningRate
            s.samplesPerSecond = rate
            s.trainingSeconds = elapsed
            s.etaSeconds = rate > 0 ? Double((schedule.totalSteps - f.step) * options.batchSize) / rate : .infinity
            s.losses = losses
            s.recordLosses(step: f.step, values: losses)
            s.allReduceSeconds = reduceSeconds
            s.allReduceWaitSeconds = waitSeconds
        }
        refreshWorkerTable()
        if let jsonLog { jsonLog(stepLogLine(f, losses: losses, rate: rate, elapsed: elapsed, reduce: reduceSeconds, wait: waitSeconds).json) }
        // One line per step at most once a second (tiny steps would flood the terminal).
        guard pace.throttle.shouldShow(at: Date(), force: schedule.endsEpoch(f.step) || f.step >= schedule.totalSteps) else { return }
        log(handle.status.get().progressLine)
    }

    /// The `--log-json` line of a committed step: its own figures only.
    func stepLogLine(_ f: StepInFlight, losses: [Double], rate: Double, elapsed: Double, reduce: Double, wait: Double) -> StepLogLine {
        let workers = f.ring.map { id -> StepLogLine.Worker in
            let r = f.reduced[id]
            return StepLogLine.Worker(id: id, name: members[id]?.name ?? "#\(id)", slots: f.slotsOf[id]?.count ?? 0,
                                      computeSeconds: r?.computeSeconds ?? 0, reduceSeconds: r?.reduceSeconds ?? 0,
                                      waitSeconds: r?.reduceWaitSeconds ?? 0)
        }
        return StepLogLine(time: Date().timeIntervalSince(started), step: f.step, epoch: f.epoch, learningRate: f.learningRate,
                           samples: f.tickets.count, samplesPerSecond: rate, trainingSeconds: elapsed,
                           stepSeconds: Date().timeIntervalSince(f.startedAt), allReduceSeconds: reduce, allReduceWaitSeconds: wait,
                           lossNames: model.lossNames, losses: losses, workers: workers)
    }

    /// Drops the step in flight everywhere; it is redone by the members still alive.
    func abortStep(_ reason: String) {
        guard let f = attempts.inFlight else { return }
        // Over before it is said: a send that fails here drops its member without a second abort.
        attempts.inFlight = nil
        attempts.generation += 1   // the redo is a new attempt with a new ring
        for id in f.ring where members[id] != nil {
            send(.abort(Abort(step: f.step, generation: f.generation, reason: reason)), to: id)
        }
        if f.exchangedSent { try? model.restoreExchange(f.exchangeBefore) }
        event("step \(f.step) dropped everywhere (\(reason)); redoing it")
    }

    // MARK: Validation

    /// Has the workers render the validation images of `epoch` and writes them. False (nothing
    /// written) when no worker is there to render them: the caller waits for one.
    private func runValidation(epoch: Int) throws(ClusterError) -> Bool {
        let items: [(item: ValidationItem, blob: Blob)]
        do { items = try model.validationItems(epoch: epoch) } catch { throw .model("cannot read validation images: \(error)") }
        guard !items.isEmpty else { return true }
        var results: [String: ValidationResult] = [:]
        var rounds = 0
        while results.count < items.count && rounds < 3 {
            rounds += 1
            let workers = members.values.filter(\.synced).sorted { $0.id < $1.id }
            guard !workers.isEmpty else {
                if owed.announcedValidationWait != epoch { event("no worker to render the validation images of epoch \(epoch); waiting for one") }
                owed.announcedValidationWait = epoch
                return false
            }
            let missing = items.filter { results[$0.item.name] == nil }
            for (w, m) in workers.enumerated() {
                let mine = missing.enumerated().filter { $0.offset % workers.count == w }.map(\.element)
                guard !mine.isEmpty else { continue }
                // The worker asks for the images it does not hold (served by `handle`).
                members[m.id]?.servable.formUnion(mine.map(\.item.digest))
                send(.validationRequest(ValidationRequest(epoch: epoch, step: committed.step, items: mine.map(\.item))), to: m.id)
            }
            let deadline = Date().addingTimeInterval(120)
            while results.count < items.count && Date() < deadline && !handle.stopFlag.get() {
                guard let e = events.pop(timeout: 0.1) else { continue }
                if case .message(_, .validationResult(let r)) = e {
                    if r.epoch == epoch, items.contains(where: { $0.item.name == r.name }) { results[r.name] = r }
                } else if case .lost = e {
                    try handle(e)
                    break   // reassign what is missing
                } else {
                    try handle(e)
                }
            }
        }
        do {
            let directory = try model.storeValidation(epoch: epoch, results: items.compactMap { results[$0.item.name] })
            handle.status.update { $0.lastValidationEpoch = epoch }
            event("validation images of epoch \(epoch) in \(directory)")
        } catch {
            event("could not write the validation images of epoch \(epoch): \(error)")
        }
        return true
    }

    // MARK: Plumbing

    func send(_ message: Message, to id: Int) {
        guard let m = members[id] else { return }
        do { try m.connection.send(message) } catch { drop(id, "send failed: \(error)") }
    }

    func broadcast(_ message: Message) {
        for id in members.keys.sorted() { send(message, to: id) }
    }

    func event(_ text: String) {
        log(text)
        let t = Date().timeIntervalSince(started)
        jsonLog?(StepLogLine(time: t, step: committed.step, event: text).json)
        handle.status.update { s in
            s.recordEvent(time: t, text: text)
        }
    }

    func setPhase(_ phase: String) {
        let changed = handle.status.update { s -> Bool in
            defer { s.phase = phase }
            return s.phase != phase
        }
        if changed { refreshWorkerTable() }
    }

    func refreshWorkerTable() {
        let rows = members.values.sorted { $0.id < $1.id }.map { m in
            ClusterStatus.Worker(id: m.id, name: m.name, address: m.connection.remote.description,
                                 state: m.synced ? "training" : (m.syncing ? "syncing" : "joining"),
                                 slots: m.lastSlots, share: m.lastShare,
                                 stepSeconds: m.lastStepSeconds, allReduceSeconds: m.lastReduceSeconds,
                                 sendMBps: m.rates.send, receiveMBps: m.rates.receive)
        }
        handle.status.update { $0.workers = rows }
    }
}

import Config
import Foundation

/// How a worker runs (`worker --coordinator HOST:PORT [--name N] [--threads N]`).
public struct WorkerOptions: Sendable {
    public var coordinator: HostPort
    public var name: String
    public var threads: Int
    /// Where the ring listener binds (port 0: any free port).
    public var ringListen: HostPort = HostPort(host: "0.0.0.0", port: 0)
    /// Longest wait between reconnection attempts, seconds.
    public var maxBackoff: Double = 5
    /// Give up after this many seconds without a coordinator (nil: never).
    public var giveUpAfter: Double?
    /// Heartbeat interval until the coordinator's config says otherwise.
    public var heartbeatSeconds: Double = 1
    /// Bytes of encoded files (training and validation images, by SHA-256) kept across
    /// steps and reconnections, least recently used dropped first; a dropped file is
    /// asked for again when a step needs it. Default 512 MiB (horse2zebra's 2,400 JPEGs
    /// take about 60 MB). The replica keeps its own cache of decoded images.
    public var fileCacheBytes: Int = 512 << 20
    /// Log every step's phases (otherwise: a progress line at most every `progressIntervalSeconds`).
    public var verbose = false
    public var progressIntervalSeconds: Double = 1

    public init(coordinator: HostPort, name: String, threads: Int) {
        self.coordinator = coordinator; self.name = name; self.threads = threads
    }
}

/// Controls a running worker from other threads (tests, signal handlers).
public final class WorkerHandle: Sendable {
    let stopFlag = LockedBox(false)
    let killFlag = LockedBox(false)
    let connection = LockedBox<Connection?>(nil)
    let ring = LockedBox<RingEndpoint?>(nil)
    /// Committed steps of this replica (for tests and status).
    public let committedStep = LockedBox(0)
    /// How many times each file (by SHA-256) arrived from the coordinator, across reconnections.
    public let filesReceived = LockedBox<[[UInt8]: Int]>([:])
    public init() {}
    /// Leaves politely at the next opportunity.
    public func stop() { stopFlag.set(true) }
    /// Drops every connection at once without a word, as a killed process would.
    public func kill() {
        killFlag.set(true)
        connection.get()?.close()
        ring.get()?.shutdown()
    }
}

/// A worker: joins the coordinator, receives the config, state and data, and
/// computes its slots of every step; reconnects on its own when the
/// coordinator goes away.
public final class ClusterWorker {
    let options: WorkerOptions
    let token: ClusterToken
    let makeModel: (RunConfigMessage) throws -> ReplicaModel
    let log: @Sendable (String) -> Void
    let handle: WorkerHandle
    /// Encoded files by SHA-256, kept across reconnections (bounded: `WorkerOptions.fileCacheBytes`).
    var blobCache: ContentCache<[UInt8]>
    var model: ReplicaModel?
    /// The all-reduce buffer (see `stagingBuffer(count:)`).
    private var staging: GradientStaging?
    /// Micro-batch gradients kept apart until the ring's running sum arrives (see `runStep`).
    private var extras: [GradientStaging] = []
    var modelConfig: [UInt8] = []
    var committedStep = -1
    var checksumEvery = 10
    /// At most one progress line a second unless verbose.
    var progressThrottle: ProgressThrottle
    /// Steps committed since the last progress line.
    var stepsSinceProgress = 0
    /// A message that ended a step attempt by showing the coordinator had moved on (a newer
    /// plan, a state or validation request): the session loop handles it next.
    private var deferred: Message?
    /// Heartbeat interval in seconds: the options' until the run configuration names one.
    let heartbeatInterval: LockedBox<Double>

    /// The run configuration as the coordinator sent it (JSON of `RunConfig`).
    public struct RunConfigMessage: Sendable { public var json: [UInt8] }

    public init(options: WorkerOptions, token: ClusterToken, handle: WorkerHandle = WorkerHandle(),
                log: @escaping @Sendable (String) -> Void = { print($0) },
                makeModel: @escaping (RunConfigMessage) throws -> ReplicaModel) {
        self.options = options
        self.token = token
        self.handle = handle
        self.log = log
        self.makeModel = makeModel
        heartbeatInterval = LockedBox(options.heartbeatSeconds)
        blobCache = ContentCache(capacity: options.fileCacheBytes)
        progressThrottle = ProgressThrottle(interval: options.progressIntervalSeconds)
    }

    /// A per-step line: only with `verbose`.
    func detail(_ text: @autoclosure () -> String) {
        if options.verbose { log(text()) }
    }

    enum SessionEnd: Error { case lost(String), finished(String), stopped }

    /// Works until the coordinator says the run is finished (returns), `handle.stop()`,
    /// or a fatal error (wrong token, model failure).
    public func run() throws(ClusterError) {
        let ring: RingEndpoint
        do { ring = try RingEndpoint(listen: options.ringListen, token: token, log: log) } catch { throw .transport(error) }
        handle.ring.set(ring)
        defer { ring.shutdown() }
        if FrameSeal.wireIsUnsealed { log(FrameSeal.unsealedWarning) }
        var backoff = 0.25
        var lastContact = Date()
        while !handle.stopFlag.get() && !handle.killFlag.get() {
            let connection: Connection
            let welcome: Welcome
            do {
                connection = try Connection.connect(to: options.coordinator, timeout: 5)
                welcome = try Handshake.client(connection, token: token,
                                               hello: Hello(role: .worker, name: options.name, nonce: [], dataPort: ring.address.port,
                                                            threads: options.threads))
            } catch {
                if case .refused(_, let reason) = error { throw .transport(.refused(peer: options.coordinator.description, reason: reason)) }
                if let limit = options.giveUpAfter, Date().timeIntervalSince(lastContact) > limit {
                    throw .gaveUp(coordinator: options.coordinator.description, seconds: limit, lastError: error)
                }
                log("waiting for the coordinator at \(options.coordinator): \(error); retrying in \(String(format: "%.1f", backoff)) s")
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(options.maxBackoff, backoff * 2)
                continue
            }
            backoff = 0.25
            ring.setWorkerID(welcome.workerID)
            handle.connection.set(connection)
            // The coordinator drains its sockets all the time: a send stuck this long means it is gone.
            connection.setSendTimeout(seconds: HeartbeatPolicy.deadAfter(interval: heartbeatInterval.get()))
            log("joined run '\(welcome.runName)' at \(options.coordinator) as worker \(welcome.workerID)")
            let end = session(connection, ring: ring, workerID: welcome.workerID)
            connection.close()
            ring.closeLinks()
            lastContact = Date()
            switch end {
            case .finished(let reason):
                log("coordinator: \(reason)")
                if reason == "run finished" { return }
                if reason.hasPrefix(ClusterCoordinator.evictionPrefix) {
                    throw .transport(.refused(peer: options.coordinator.description, reason: reason))
                }
            case .stopped:
                try? connection.send(.bye("worker stopping"))
                if case .fatal(let e)? = fatal { throw e }
                return
            case .lost(let reason):
                log("lost the coordinator: \(reason); reconnecting")
            }
        }
    }

    enum Fatal { case fatal(ClusterError) }
    var fatal: Fatal?

    /// One connection's life. Returns why it ended.
    private func session(_ connection: Connection, ring: RingEndpoint, workerID: Int) -> SessionEnd {
        let inbox = EventQueue<Result<Message, TransportError>>()
        let aborted = LockedBox<[Int: String]>([:])   // generations the coordinator dropped, and why
        let ended = LockedBox(false)
        let heartbeat = heartbeatInterval
        defer { ended.set(true) }
        Thread.detachNewThread {
            while !ended.get() {
                do {
                    let dead = HeartbeatPolicy.deadAfter(interval: heartbeat.get())
                    let message = try connection.receive(timeout: dead, waitingFor: "heartbeat from the coordinator")
                    if case .abort(let a) = message {
                        // Unblock an all-reduce in progress right away.
                        aborted.update { $0[a.generation] = a.reason }
                        ring.closeLinks()
                    }
                    inbox.push(.success(message))
                } catch {
                    // Marks the session over for the step in progress too (`runStep` polls
                    // `connection.closed`): a worker thawed after being dropped must not sit out
                    // its ring timeouts before it reconnects.
                    connection.close()
                    inbox.push(.failure(error as? TransportError ?? .closed(peer: "coordinator")))
                    ring.closeLinks()
                    return
                }
            }
        }
        Thread.detachNewThread {
            var sequence: UInt64 = 0
            while !ended.get() && !connection.closed {
                sequence += 1
                do { try connection.send(.heartbeat(sequence)) } catch { return }
                Thread.sleep(forTimeInterval: heartbeat.get())
            }
        }
        var assembler: StateTransfer.Assembler?
        var synced = false
        deferred = nil   // one held by a session that ended belongs to its connection
        while true {
            if handle.stopFlag.get() { return .stopped }
            let next: Result<Message, TransportError>
            if let held = deferred {
                deferred = nil
                next = .success(held)
            } else {
                guard let popped = inbox.pop(timeout: 0.2) else { continue }
                next = popped
            }
            let message: Message
            switch next {
            case .failure(let error): return .lost("\(error)")
            case .success(let m): message = m
            }
            do {
                switch message {
                case .heartbeat, .commit, .abort, .exchanged:
                    break   // stale: belongs to an attempt already over
                case .bye(let reason):
                    return .finished(reason)
                case .config(let c):
                    if c.json != modelConfig || model == nil {
                        log("received the run configuration; building the model")
                        model = try makeModel(RunConfigMessage(json: c.json))
                        modelConfig = c.json
                        committedStep = -1
                        if let object = try? JSONSerialization.jsonObject(with: Data(c.json)) as? [String: Any],
                           let cluster = object["cluster"] as? [String: Any] {
                            if let every = cluster["checksumEverySteps"] as? Int { checksumEvery = every }
                            // Beat as often as the coordinator expects, or it takes us for dead.
                            if let seconds = cluster["heartbeatSeconds"] as? Double, seconds > 0 {
                                heartbeatInterval.set(seconds)
                                connection.setSendTimeout(seconds: HeartbeatPolicy.deadAfter(interval: seconds))
                            }
                        }
                    }
                case .blobs(let blobs):
                    store(blobs)   // unasked (or late): cached all the same
                case .stateBegin(let begin):
                    assembler = try StateTransfer.Assembler(begin, expectedCount: nil)
                    log("receiving the state of step \(begin.step) (\(begin.floatCount * 4 / 1_000_000) MB)")
                case .stateChunk(let chunk):
                    guard var a = assembler, let model else { return .lost("state chunk without a state header") }
                    if let state = try a.add(chunk) {
                        try model.load(state)
                        committedStep = state.step
                        handle.committedStep.set(state.step)
                        synced = true
                        assembler = nil
                        try connection.send(.parameterChecksum(ParameterChecksum(step: state.step, crc: model.parameterChecksum())))
                        log("holding the state of step \(state.step); waiting for a step plan")
                    } else {
                        assembler = a
                    }
                case .stateRequest(let r):
                    guard let model, synced, r.step == committedStep else {
                        return .lost("asked for the state of step \(r.step), this replica holds \(committedStep)")
                    }
                    log("sending the state of step \(committedStep) to the coordinator")
                    try StateTransfer.send(model.state(step: committedStep), over: connection)
                case .stepPlan(let plan):
                    guard let model, synced else { return .lost("step plan before the state") }
                    if let end = try runStep(plan, model: model, connection: connection, inbox: inbox, aborted: aborted, ring: ring) {
                        return end
                    }
                case .validationRequest(let request):
                    guard let model else { break }
                    var files: [[UInt8]: [UInt8]] = [:]
                    switch try fetch(request.items.map(\.digest), into: &files, connection: connection, inbox: inbox, generation: nil) {
                    case .ready: break
                    case .dropped: continue
                    case .end(let end): return end
                    }
                    log("rendering \(request.items.count) validation image(s) for epoch \(request.epoch)")
                    for item in request.items {
                        guard let bytes = files[item.digest] else { continue }
                        let png = try model.renderValidation(bytes, domain: item.domain)
                        try connection.send(.validationResult(ValidationResult(epoch: request.epoch, name: item.name, png: png)))
                    }
                default:
                    return .lost("the coordinator sent '\(message.kind.name)', which it never sends")
                }
            } catch let error as TransportError {
                return .lost("\(error)")
            } catch {
                // A model failure cannot be fixed by reconnecting: report it and stop.
                try? connection.send(.bye("worker failed: \(error)"))
                fatal = .fatal(.model("\(error)"))
                handle.stop()
                return .stopped
            }
        }
    }

    /// One step attempt. Returns a session end, or nil to keep going.
    private func runStep(_ plan: StepPlan, model: ReplicaModel, connection: Connection,
                         inbox: EventQueue<Result<Message, TransportError>>, aborted: LockedBox<[Int: String]>,
                         ring: RingEndpoint) throws -> SessionEnd? {
        // Dropped by the coordinator, or the coordinator is gone: either way this attempt is over.
        let isAborted: @Sendable () -> Bool = { aborted.get()[plan.ringGeneration] != nil || connection.closed }
        let log = log
        /// Leaves an attempt that `isAborted` ended, saying so when the coordinator dropped it.
        func abandon() -> SessionEnd? {
            if let reason = aborted.get()[plan.ringGeneration] { log("step \(plan.step) dropped by the coordinator: \(reason)") }
            return nil
        }
        let start = Date()
        model.resetGradients()
        var files: [[UInt8]: [UInt8]] = [:]
        switch try fetch(plan.slots.flatMap(\.blobs), into: &files, connection: connection, inbox: inbox, generation: plan.ringGeneration) {
        case .ready: break
        case .dropped: return nil
        case .end(let end): return end
        }
        var inputs: [SampleInput] = []
        for t in plan.slots {
            let blobs = t.blobs.compactMap { files[$0] }
            guard blobs.count == t.blobs.count else { return .lost("the coordinator did not send every file of step \(plan.step)") }
            inputs.append(SampleInput(slot: t.slot, epoch: t.epoch, index: t.sampleIndex, blobs: blobs, digests: t.blobs, plan: t.plan))
        }
        // The coordinator gives every worker whole micro-batches of the global batch (`herd train`'s),
        // so cutting our slots from the first one cuts them where `herd train` does.
        let micro = max(1, microBatch(model))
        let batches = stride(from: 0, to: inputs.count, by: micro).map { Array(inputs[$0..<min($0 + micro, inputs.count)]) }
        var losses = [Double](repeating: 0, count: model.lossNames.count)
        var payloads: [SlotPayload] = []
        if inputs.isEmpty {
            detail("step \(plan.step): no slots for this worker this step; it passes the ring's sums on")
        } else {
            detail("step \(plan.step): computing \(inputs.count) of \(plan.globalBatch) slots (first pass)")
        }
        // The order of summation is `herd train`'s (see `RingAllReduce`): the first worker of the
        // ring accumulates its micro-batches' gradients in the replica as `herd train` does; any
        // other keeps each one apart (the first in `staging`, the others in `extras`) until the
        // running sum of the slots before its own arrives.
        let staging = stagingBuffer(count: model.gradientCount)
        let keepApart = (ring.rank(in: plan.ring) ?? 0) > 0
        let extras = extraBuffers(keepApart ? max(0, batches.count - 1) : 0, count: model.gradientCount)
        let firstPart = 0..<min(max(0, model.firstPassGradientCount), model.gradientCount)
        let secondPart = firstPart.upperBound..<model.gradientCount
        /// After micro-batch `m`'s pass: moves its gradient (floats `part`) out of the replica when kept apart.
        func setAside(_ m: Int, _ part: Range<Int>) {
            guard keepApart, !part.isEmpty else { return }
            model.copyGradients(part, into: m == 0 ? staging[part] : extras[m - 1][part])
            model.zeroGradients(part)
        }
        /// Before reducing floats `part`: the staging buffer holds the first (or only) sum to send.
        func stage(_ part: Range<Int>) {
            if !keepApart || batches.isEmpty { model.copyGradients(part, into: staging[part]) }
        }
        for (m, batch) in batches.enumerated() {
            let pass = try model.firstPass(batch, scale: Self.share(batch.count, of: plan.globalBatch))
            for (i, l) in pass.losses.enumerated() where i < losses.count { losses[i] += l }
            for (s, f) in zip(batch, pass.exchange) { payloads.append(SlotPayload(slot: s.slot, values: f)) }
            setAside(m, firstPart)
            if isAborted() { return abandon() }
        }
        let firstPassSeconds = Date().timeIntervalSince(start)
        // Sum the first part of the gradients across the ring while the second passes run:
        // they are final now, and the network would otherwise idle until the end of the step.
        var early: BackgroundReduce?
        // Whatever ends this attempt, no reduce may outlive it (the staging buffer is reused).
        defer {
            if let early {
                if !early.finished { ring.closeLinks() }
                _ = early.wait()
            }
        }
        if !firstPart.isEmpty {
            stage(firstPart)
            early = BackgroundReduce { [staging, extras] () throws(TransportError) -> RingTime in
                try Self.reduce(staging[firstPart], addends: extras.map { UnsafeBufferPointer($0[firstPart]) },
                                plan: plan, ring: ring, cancelled: isAborted)
            }
        }
        try connection.send(.firstPassResults(SlotResults(step: plan.step, generation: plan.ringGeneration, payloads: payloads, seconds: firstPassSeconds)))
        // Wait for the exchanged payloads.
        var exchanged: [Int: [Float]] = [:]
        if !inputs.isEmpty {
            detail("step \(plan.step): waiting for the exchange from the coordinator")
        }
        while exchanged.count < inputs.count {
            guard let next = inbox.pop(timeout: 0.2) else {
                if handle.stopFlag.get() { return .stopped }
                if isAborted() { return abandon() }
                continue
            }
            if case .success(let message) = next, supersedes(message, attempt: plan) { return nil }
            switch next {
            case .failure(let e): return .lost("\(e)")
            case .success(.exchanged(let r)) where r.step == plan.step && r.generation == plan.ringGeneration:
                for p in r.payloads { exchanged[p.slot] = p.values }
            case .success(.abort(let a)) where a.generation == plan.ringGeneration:
                log("step \(plan.step) dropped by the coordinator: \(a.reason)")
                return nil
            case .success(.blobs(let blobs)):
                store(blobs)
            case .success(.bye(let reason)):
                return .finished(reason)
            default:
                break
            }
        }
        let secondStart = Date()
        for (m, batch) in batches.enumerated() {
            let pass = try model.secondPass(batch, exchanged: batch.map { exchanged[$0.slot] ?? [] },
                                          scale: Self.share(batch.count, of: plan.globalBatch))
            for (i, l) in pass.enumerated() where model.lossNames.count - pass.count + i < losses.count {
                losses[model.lossNames.count - pass.count + i] += l
            }
            setAside(m, secondPart)
            if isAborted() { return abandon() }
        }
        let computeSeconds = firstPassSeconds + Date().timeIntervalSince(secondStart)
        // All-reduce the rest, after the first part has finished.
        // The reported all-reduce time is the ring's alone (links, reduce-scatter, all-gather)
        // for both parts; copying the gradients in and out and checksumming the sum count as compute.
        let reduceResult = Result { () throws(TransportError) -> (crc: UInt32, time: RingTime) in
            let firstTime = try early?.wait().get() ?? RingTime()
            var secondTime = RingTime()
            if !secondPart.isEmpty {
                stage(secondPart)
                secondTime = try Self.reduce(staging[secondPart],
                                             addends: extras.map { UnsafeBufferPointer($0[secondPart]) },
                                                    plan: plan, ring: ring, cancelled: isAborted)
            }
            model.replaceGradients(0..<staging.count, with: UnsafeBufferPointer(staging.buffer))
            detail(String(format: "step %d: computed %.2f s (first pass %.2f s); all-reduce %.3f s (first part %.3f s, during the second pass; then %.3f s), waited %.3f s at the ring barrier",
                       plan.step, computeSeconds, firstPassSeconds, firstTime.transfer + secondTime.transfer,
                       firstTime.transfer, secondTime.transfer, firstTime.wait + secondTime.wait))
            var time = firstTime
            time += secondTime
            return (CRC32.checksum(UnsafeRawBufferPointer(staging.buffer)), time)
        }
        let crc: UInt32, reduceTime: RingTime
        switch reduceResult {
        case .success(let sum): (crc, reduceTime) = sum
        case .failure(let error):
            if isAborted() { return abandon() }
            log("step \(plan.step): all-reduce failed: \(error); telling the coordinator")
            var unreachable = 0
            if case .ringPeerUnreachable(let id, _, _) = error { unreachable = id }
            try connection.send(.stepFailed(StepFailed(step: plan.step, generation: plan.ringGeneration, reason: "all-reduce: \(error)",
                                                       unreachableID: unreachable)))
            return nil
        }
        try connection.send(.reduced(Reduced(step: plan.step, generation: plan.ringGeneration, gradientCRC: crc,
                                             losses: losses.map { Float($0) }, computeSeconds: computeSeconds,
                                             reduceSeconds: reduceTime.transfer, reduceWaitSeconds: reduceTime.wait)))
        // Apply only when the coordinator commits.
        while true {
            guard let next = inbox.pop(timeout: 0.2) else {
                if handle.stopFlag.get() { return .stopped }
                if isAborted() { return abandon() }
                continue
            }
            if case .success(let message) = next, supersedes(message, attempt: plan) { return nil }
            switch next {
            case .failure(let e): return .lost("\(e)")
            case .success(.commit(let step)) where step == plan.step:
                try model.applyUpdate(learningRate: plan.learningRate)
                committedStep = plan.step
                handle.committedStep.set(plan.step)
                stepsSinceProgress += 1
                if !options.verbose, progressThrottle.shouldShow(at: Date(), force: false) {
                    log(String(format: "step %d committed (%d since the last line); this step: %d slot(s), computed %.2f s, all-reduce %.3f s, waited %.3f s",
                               plan.step, stepsSinceProgress, plan.slots.count, computeSeconds, reduceTime.transfer, reduceTime.wait))
                    stepsSinceProgress = 0
                }
                if checksumEvery > 0 && plan.step % checksumEvery == 0 {
                    try connection.send(.parameterChecksum(ParameterChecksum(step: plan.step, crc: model.parameterChecksum())))
                }
                return nil
            case .success(.abort(let a)) where a.generation == plan.ringGeneration:
                log("step \(plan.step) dropped by the coordinator: \(a.reason)")
                return nil
            case .success(.bye(let reason)):
                return .finished(reason)
            case .success(.blobs(let blobs)):
                store(blobs)
            default:
                break
            }
        }
    }

    /// Sums `buffer` then `addends` across the ring of `plan` in place (in ring order: see
    /// `RingAllReduce`), after a barrier: the transfer time is the ring's own (comparable with
    /// the link bound), the wait is for the slowest member.
    ///
    /// The barrier may wait as long as a slow machine computes (`barrierTimeout`); an abort
    /// or a dead peer ends it at once (the links close), so no long timeout is ever sat out.
    private static func reduce(_ buffer: UnsafeMutableBufferPointer<Float>, addends: [UnsafeBufferPointer<Float>],
                               plan: StepPlan, ring: RingEndpoint,
                               cancelled: () -> Bool) throws(TransportError) -> RingTime {
        let start = Date()
        let links = try ring.links(generation: plan.ringGeneration, ring: plan.ring, timeout: 10, cancelled: cancelled)
        _ = try links.barrier(step: plan.step, timeout: barrierTimeout)
        let ready = Date()
        _ = try links.allReduce(buffer, addends: addends, step: plan.step, timeout: 10)
        return RingTime(transfer: Date().timeIntervalSince(ready), wait: ready.timeIntervalSince(start))
    }

    /// Longest wait at the ring barrier for a member still computing its share.
    static let barrierTimeout: Double = 1800

    /// The all-reduce buffer for `count` floats, reused while the model keeps its size.
    private func stagingBuffer(count: Int) -> GradientStaging {
        if let staging, staging.count == count { return staging }
        let fresh = GradientStaging(count: count)
        staging = fresh
        return fresh
    }

    /// `count` buffers of `floats` floats for micro-batch gradients kept apart, reused across
    /// steps (kept while the model keeps its size: as many as the most micro-batches a step gave).
    private func extraBuffers(_ count: Int, count floats: Int) -> [GradientStaging] {
        if extras.first.map({ $0.count != floats }) == true { extras = [] }
        while extras.count < count { extras.append(GradientStaging(count: floats)) }
        return Array(extras.prefix(count))
    }

    /// A micro-batch's share of the global batch, the scale of its gradient: computed as
    /// `TrainingStep` computes it (in Double, then rounded to Float), so the bits agree.
    static func share(_ samples: Int, of globalBatch: Int) -> Float {
        Float(Double(samples) / Double(max(1, globalBatch)))
    }

    /// Files received: cached by digest and counted.
    private func store(_ blobs: [Blob]) {
        for b in blobs { blobCache.insert(b.bytes, cost: b.bytes.count, for: b.digest) }
        handle.filesReceived.update { counts in for b in blobs { counts[b.digest, default: 0] += 1 } }
    }

    enum FileWait { case ready, dropped, end(SessionEnd) }

    /// Puts the bytes of every file in `digests` into `files`: from the cache, and asks the
    /// coordinator (`blobRequest`) for the others, waiting for them. `.dropped` when the
    /// coordinator aborts attempt `generation` meanwhile.
    private func fetch(_ digests: [[UInt8]], into files: inout [[UInt8]: [UInt8]], connection: Connection,
                       inbox: EventQueue<Result<Message, TransportError>>, generation: Int?) throws -> FileWait {
        var missing: [[UInt8]] = []
        for d in digests where files[d] == nil {
            if let bytes = blobCache.value(d) { files[d] = bytes } else if !missing.contains(d) { missing.append(d) }
        }
        guard !missing.isEmpty else { return .ready }
        detail("asking the coordinator for \(missing.count) file(s)")
        try connection.send(.blobRequest(BlobRequest(digests: missing)))
        let deadline = Date().addingTimeInterval(300)
        var wanted = Set(missing)
        while !wanted.isEmpty {
            guard Date() < deadline else { return .end(.lost("the coordinator did not send \(wanted.count) requested file(s) within 300 s")) }
            guard let next = inbox.pop(timeout: 0.2) else {
                if handle.stopFlag.get() { return .end(.stopped) }
                continue
            }
            switch next {
            case .failure(let e): return .end(.lost("\(e)"))
            case .success(.blobs(let blobs)):
                store(blobs)
                for b in blobs where wanted.remove(b.digest) != nil { files[b.digest] = b.bytes }
            case .success(.abort(let a)) where a.generation == generation:
                log("step \(a.step) dropped by the coordinator: \(a.reason)")
                return .dropped
            case .success(.bye(let reason)):
                return .end(.finished(reason))
            case .success(let message) where supersedes(message, attempt: nil):
                return .dropped
            default:
                break   // stale: belongs to an attempt already over
            }
        }
        return .ready
    }

    /// Whether `message`, arriving during a step attempt (`attempt`; nil: a validation request's
    /// files), shows that the coordinator has moved on: a plan of another attempt, or a request it
    /// sends only between steps. The coordinator aborts an attempt before that; this holds even
    /// if that abort never came. The message is kept for the session loop.
    private func supersedes(_ message: Message, attempt: StepPlan?) -> Bool {
        switch message {
        case .stepPlan(let next) where attempt.map({ next.ringGeneration != $0.ringGeneration || next.step != $0.step }) ?? true:
            break
        case .stateRequest, .validationRequest, .config:
            break
        default:
            return false
        }
        deferred = message
        log("\(attempt.map { "step \($0.step)" } ?? "fetching files"): the coordinator moved on ('\(message.kind.name)' arrived); leaving it")
        return true
    }

    /// Samples per micro-batch from the run configuration (1 when absent).
    private func microBatch(_ model: ReplicaModel) -> Int {
        SlotAllocator.microBatch(configJSON: modelConfig)
    }
}

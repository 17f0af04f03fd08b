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
///
/// A session (one connection) is a loop over the coordinator's messages (`session`); a step
/// plan starts a step attempt (`runStep`, in `ClusterWorker+Step.swift`).
public final class ClusterWorker {
    let options: WorkerOptions
    let token: ClusterToken
    let makeModel: (RunConfig) throws -> ReplicaModel
    let log: @Sendable (String) -> Void
    let handle: WorkerHandle
    /// Encoded files by SHA-256, kept across reconnections (bounded: `WorkerOptions.fileCacheBytes`).
    var blobCache: ContentCache<[UInt8]>
    var model: ReplicaModel?
    /// The all-reduce buffer (see `gradients(for:model:microBatches:)`).
    var staging: GradientStaging?
    /// Micro-batch gradients kept apart until the ring's running sum arrives (see `StepGradients`).
    var extras: [GradientStaging] = []
    /// The run configuration the replica was built from, as the coordinator sent it (JSON).
    var configJSON: [UInt8] = []
    var committedStep = -1
    /// The run configuration's `cluster.checksum_every_steps`.
    var checksumEvery = 10
    /// At most one progress line a second unless verbose.
    var progressThrottle: ProgressThrottle
    /// Steps committed since the last progress line.
    var stepsSinceProgress = 0
    /// A message that ended a step attempt by showing the coordinator had moved on (a newer
    /// plan, a state or validation request): the session loop handles it next.
    var deferred: Message?
    /// Heartbeat interval in seconds: the options' until the run configuration names one.
    let heartbeatInterval: LockedBox<Double>

    /// - Parameter makeModel: builds the replica for the run configuration the coordinator
    ///   sends (decoded and validated; called again only when it changes).
    public init(options: WorkerOptions, token: ClusterToken, handle: WorkerHandle = WorkerHandle(),
                log: @escaping @Sendable (String) -> Void = { print($0) },
                makeModel: @escaping (RunConfig) throws -> ReplicaModel) {
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
            let end = session(CoordinatorLink.open(connection, ring: ring, heartbeat: heartbeatInterval))
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

    /// One connection's life: the coordinator's messages, one at a time. Returns why it ended.
    private func session(_ link: CoordinatorLink) -> SessionEnd {
        defer { link.close() }
        var assembler: StateTransfer.Assembler?
        var synced = false
        deferred = nil   // one held by a session that ended belongs to its connection
        while true {
            if handle.stopFlag.get() { return .stopped }
            let message: Message
            if let held = deferred {
                deferred = nil
                message = held
            } else {
                switch link.inbox.pop(timeout: 0.2) {
                case nil: continue
                case .failure(let error)?: return .lost("\(error)")
                case .success(let m)?: message = m
                }
            }
            do {
                switch message {
                case .heartbeat, .commit, .abort, .exchanged:
                    break   // stale: belongs to an attempt already over
                case .bye(let reason):
                    return .finished(reason)
                case .config(let c):
                    try receiveConfig(c.json, connection: link.connection)
                case .blobs(let blobs):
                    store(blobs)   // unasked (or late): cached all the same
                case .stateBegin(let begin):
                    assembler = try StateTransfer.Assembler(begin, expectedCount: nil)
                    log("receiving the state of step \(begin.step) (\(begin.floatCount * 4 / 1_000_000) MB)")
                case .stateChunk(let chunk):
                    guard let a = assembler, let model else { return .lost("state chunk without a state header") }
                    assembler = try receiveStateChunk(chunk, into: a, model: model, connection: link.connection)
                    if assembler == nil { synced = true }
                case .stateRequest(let r):
                    guard let model, synced, r.step == committedStep else {
                        return .lost("asked for the state of step \(r.step), this replica holds \(committedStep)")
                    }
                    log("sending the state of step \(committedStep) to the coordinator")
                    try StateTransfer.send(model.state(step: committedStep), over: link.connection)
                case .stepPlan(let plan):
                    guard let model, synced else { return .lost("step plan before the state") }
                    if let end = try runStep(plan, model: model, link: link) { return end }
                case .validationRequest(let request):
                    guard let model else { break }
                    if let end = try renderValidation(request, model: model, link: link) { return end }
                default:
                    return .lost("the coordinator sent '\(message.kind.name)', which it never sends")
                }
            } catch let error as TransportError {
                return .lost("\(error)")
            } catch {
                // A model failure cannot be fixed by reconnecting: report it and stop.
                try? link.connection.send(.bye("worker failed: \(error)"))
                fatal = .fatal(.model("\(error)"))
                handle.stop()
                return .stopped
            }
        }
    }

    /// Builds the replica for the run configuration `json` (unless it is the one it has) and
    /// adopts its cluster settings: how often to send parameter checksums and to beat.
    /// - Throws: `ConfigError` for a configuration this build cannot read, or the model's error.
    private func receiveConfig(_ json: [UInt8], connection: Connection) throws {
        guard json != configJSON || model == nil else { return }
        log("received the run configuration; building the model")
        let config = try RunConfig.decode(json: Data(json), file: "the run configuration from the coordinator at \(options.coordinator)")
        model = try makeModel(config)
        configJSON = json
        committedStep = -1
        checksumEvery = config.cluster.checksumEverySteps
        // Beat as often as the coordinator expects, or it takes us for dead.
        heartbeatInterval.set(config.cluster.heartbeatSeconds)
        connection.setSendTimeout(seconds: HeartbeatPolicy.deadAfter(interval: config.cluster.heartbeatSeconds))
    }

    /// Adds a chunk of the state the coordinator sends; once it is whole, loads it and confirms
    /// with the parameters' checksum. Returns the assembler still waiting for chunks, or nil.
    private func receiveStateChunk(_ chunk: StateChunk, into assembler: StateTransfer.Assembler, model: ReplicaModel,
                                   connection: Connection) throws -> StateTransfer.Assembler? {
        var assembler = assembler
        guard let state = try assembler.add(chunk) else { return assembler }
        try model.load(state)
        committedStep = state.step
        handle.committedStep.set(state.step)
        try connection.send(.parameterChecksum(ParameterChecksum(step: state.step, crc: model.parameterChecksum())))
        log("holding the state of step \(state.step); waiting for a step plan")
        return nil
    }

    /// Renders the validation images of `request` with the committed parameters and sends them.
    /// Returns a session end, or nil to keep going.
    private func renderValidation(_ request: ValidationRequest, model: ReplicaModel, link: CoordinatorLink) throws -> SessionEnd? {
        let files: [[UInt8]: [UInt8]]
        do { files = try fetch(request.items.map(\.digest), during: nil, link: link) } catch { return error.sessionEnd }
        log("rendering \(request.items.count) validation image(s) for epoch \(request.epoch)")
        for item in request.items {
            guard let bytes = files[item.digest] else { continue }
            let png = try model.renderValidation(bytes, domain: item.domain)
            try link.connection.send(.validationResult(ValidationResult(epoch: request.epoch, name: item.name, png: png)))
        }
        return nil
    }

    /// Files received: cached by digest and counted.
    func store(_ blobs: [Blob]) {
        for b in blobs { blobCache.insert(b.bytes, cost: b.bytes.count, for: b.digest) }
        handle.filesReceived.update { counts in for b in blobs { counts[b.digest, default: 0] += 1 } }
    }

    /// The bytes of every file in `digests`: from the cache, and asks the coordinator
    /// (`blobRequest`) for the others, waiting for them (at most 300 s) during attempt `plan`
    /// (nil: between steps).
    func fetch(_ digests: [[UInt8]], during plan: StepPlan?, link: CoordinatorLink) throws(AttemptEnd) -> [[UInt8]: [UInt8]] {
        var files: [[UInt8]: [UInt8]] = [:]
        var missing: [[UInt8]] = []
        for d in digests where files[d] == nil {
            if let bytes = blobCache.value(d) { files[d] = bytes } else if !missing.contains(d) { missing.append(d) }
        }
        guard !missing.isEmpty else { return files }
        detail("asking the coordinator for \(missing.count) file(s)")
        do { try link.connection.send(.blobRequest(BlobRequest(digests: missing))) } catch { throw .session(.lost("\(error)")) }
        let deadline = Date().addingTimeInterval(300)
        var wanted = Set(missing)
        while !wanted.isEmpty {
            let blobs = try awaitMessage(during: plan, link: link, until: deadline,
                                         late: "\(wanted.count) requested file(s) within 300 s") { message -> [Blob]? in
                if case .blobs(let blobs) = message { return blobs }
                return nil
            }
            store(blobs)
            for b in blobs where wanted.remove(b.digest) != nil { files[b.digest] = b.bytes }
        }
        return files
    }
}

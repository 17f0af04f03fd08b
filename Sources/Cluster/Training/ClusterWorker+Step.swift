import Foundation

/// How a step attempt (or a wait inside one) ends early.
enum AttemptEnd: Error {
    /// The attempt is over (the coordinator dropped it or moved on); the session goes on.
    case dropped
    /// The session is over.
    case session(ClusterWorker.SessionEnd)

    /// What the session loop does next: nil to keep going.
    var sessionEnd: ClusterWorker.SessionEnd? {
        if case .session(let end) = self { return end }
        return nil
    }
}

extension ClusterWorker {
    /// One step attempt. Returns a session end, or nil to keep going.
    ///
    /// The attempt, top-down (every phase may end it: see `AttemptEnd`):
    /// 1. the slots' files, cut into micro-batches (`microBatches`);
    /// 2. the first passes; the exchange payloads go to the coordinator as soon as the last
    ///    micro-batch's exist (mid-pass), and the first part of the gradient starts its
    ///    all-reduce on another thread, what the model hands over early before the last
    ///    pass ends, the rest once the passes end (`firstPasses`);
    /// 3. the exchanged payloads come back (`awaitExchange`);
    /// 4. the second passes, piece by piece; each finished piece but the last joins the
    ///    background all-reduce (`secondPasses`);
    /// 5. the last piece is all-reduced and the sum's checksum reported (`reduceAndReport`);
    /// 6. the update is applied when the coordinator commits (`applyOnCommit`).
    func runStep(_ plan: StepPlan, model: ReplicaModel, link: CoordinatorLink) throws -> SessionEnd? {
        let start = Date()
        model.resetGradients()
        do {
            let batches = try microBatches(of: plan, microBatch: model.microBatch, link: link)
            let gradients = gradients(for: plan, model: model, microBatches: batches.count, ring: link.ring)
            var work = StepWork(lossCount: model.lossNames.count)
            var background = try firstPasses(batches, of: plan, model: model, gradients: gradients, into: &work,
                                             since: start, link: link)
            // Whatever ends this attempt, no reduce may outlive it (the staging buffer is reused).
            defer { background?.end(closing: link.ring) }
            work.firstPassSeconds = Date().timeIntervalSince(start)
            let exchanged = try awaitExchange(plan, slots: plan.slots.count, link: link)
            let secondStart = Date()
            try secondPasses(batches, exchanged: exchanged, of: plan, model: model, gradients: gradients,
                             background: &background, into: &work, link: link)
            work.computeSeconds = work.firstPassSeconds + Date().timeIntervalSince(secondStart)
            try reduceAndReport(plan, model: model, gradients: gradients, early: background, work: &work, link: link)
            try applyOnCommit(plan, model: model, work: work, link: link)
            return nil
        } catch let end as AttemptEnd {
            return end.sessionEnd
        }
    }

    /// What an attempt has gathered so far: the exchange payloads, the loss terms, the timings.
    struct StepWork {
        var payloads: [SlotPayload] = []
        /// Loss terms × each micro-batch's share, summed (the step's losses once all are in).
        var losses: [Double]
        var firstPassSeconds = 0.0
        var computeSeconds = 0.0
        var reduceTime = RingTime()
        init(lossCount: Int) { losses = [Double](repeating: 0, count: lossCount) }
    }

    // MARK: Phases

    /// The samples of this worker's slots, in slot order, cut into micro-batches of
    /// `microBatch` from the first one: the coordinator gives every worker whole micro-batches
    /// of the global batch (`herd train`'s), so they are cut where `herd train` cuts them.
    private func microBatches(of plan: StepPlan, microBatch: Int, link: CoordinatorLink) throws(AttemptEnd) -> [[SampleInput]] {
        let files = try fetch(plan.slots.flatMap(\.blobs), during: plan, link: link)
        var inputs: [SampleInput] = []
        for t in plan.slots {
            let blobs = t.blobs.compactMap { files[$0] }
            guard blobs.count == t.blobs.count else {
                throw .session(.lost("the coordinator did not send every file of step \(plan.step)"))
            }
            inputs.append(SampleInput(slot: t.slot, epoch: t.epoch, index: t.sampleIndex, blobs: blobs, digests: t.blobs, plan: t.plan))
        }
        if inputs.isEmpty {
            detail("step \(plan.step): no slots for this worker this step; it passes the ring's sums on")
        } else {
            detail("step \(plan.step): computing \(inputs.count) of \(plan.globalBatch) slots (first pass)")
        }
        let micro = max(1, microBatch)
        return stride(from: 0, to: inputs.count, by: micro).map { Array(inputs[$0..<min($0 + micro, inputs.count)]) }
    }

    /// Runs the first pass of every micro-batch, then starts all-reducing the first part of
    /// the gradient (final now) in the background: the network would otherwise idle until
    /// the end of the step. Returns that reduce (nil when the model has no first part).
    ///
    /// The first part is all-reduced piece by piece (`ReplicaModel.firstPassPieces`, the same
    /// all-reduces on every member). A piece the model hands over before the last micro-batch's
    /// pass ends (CycleGAN: `G_AB`'s, `ReplicaModel.firstPass(_:scale:exchangeReady:gradientsReady:)`)
    /// is final then: its all-reduce starts at once and crosses the ring while the pass
    /// finishes; the other pieces follow it when the passes end.
    ///
    /// The payloads go out (`firstPassResults`) the moment the last micro-batch's exist
    /// (`ReplicaModel.firstPass(_:scale:exchangeReady:)`), before that pass's backward: the
    /// coordinator's exchange then crosses the network while this worker still computes,
    /// not after, and not beside the all-reduce's traffic.
    private func firstPasses(_ batches: [[SampleInput]], of plan: StepPlan, model: ReplicaModel, gradients: StepGradients,
                             into work: inout StepWork, since start: Date, link: CoordinatorLink) throws -> BackgroundReduce? {
        var failure: AttemptEnd?
        func sendResults() { failure = sendFirstPassResults(work.payloads, of: plan, since: start, link: link) }
        if batches.isEmpty { sendResults() }
        let firstPart = gradients.firstPart, pieces = gradients.firstPieces
        // The reduces under way (the last one waits for the others), and the next piece to release.
        var early: BackgroundReduce?
        var next = 0
        do {
            for (m, batch) in batches.enumerated() {
                let last = m == batches.count - 1
                // Keeps micro-batch `m`'s payloads (once), and sends them all after the last's.
                var collected = false
                func collect(_ exchange: [[Float]]) {
                    guard !collected else { return }
                    collected = true
                    work.payloads += zip(batch, exchange).map { SlotPayload(slot: $0.slot, values: $1) }
                    if last { sendResults() }
                }
                // Only the last micro-batch's floats are final; pieces are taken in order.
                func release(_ range: Range<Int>, _ floats: UnsafeMutableBufferPointer<Float>) {
                    guard last, next < pieces.count, range == pieces[next], floats.count == range.count else { return }
                    gradients.release(m, range, floats: floats)
                    early = reduceInBackground(range, after: early, staged: true, of: plan, model: model, gradients: gradients, link: link)
                    next += 1
                }
                let pass = try model.firstPass(batch, scale: Self.share(batch.count, of: plan.globalBatch),
                                               exchangeReady: collect, gradientsReady: release)
                collect(pass.exchange)   // a no-op unless the model never called `exchangeReady`
                for (i, l) in pass.losses.enumerated() where i < work.losses.count { work.losses[i] += l }
                let kept = last && next > 0 ? pieces[next - 1].upperBound..<firstPart.upperBound : firstPart
                gradients.setAside(m, kept, from: model)
                try checkNotOver(plan, link)
            }
            if let failure { throw failure }
        } catch {
            early?.end(closing: link.ring)   // its buffer is about to be reused
            throw error
        }
        // Every member runs the same all-reduces: each piece on its own, whoever handed it over.
        for piece in pieces[next...] {
            early = reduceInBackground(piece, after: early, of: plan, model: model, gradients: gradients, link: link)
        }
        return early
    }

    /// Sends this worker's exchange payloads; returns how the attempt ends if that failed.
    private func sendFirstPassResults(_ payloads: [SlotPayload], of plan: StepPlan, since start: Date,
                                      link: CoordinatorLink) -> AttemptEnd? {
        do {
            try send(.firstPassResults(SlotResults(step: plan.step, generation: plan.ringGeneration, payloads: payloads,
                                                   seconds: Date().timeIntervalSince(start))), link)
            return nil
        } catch {
            return error
        }
    }

    /// Stages floats `part` (unless `staged`: `StepGradients.release` did) and all-reduces them
    /// on another thread once `previous` (if any) has ended (the ring links carry one reduce
    /// at a time); the returned reduce's time covers both, and it fails at once if `previous` did.
    private func reduceInBackground(_ part: Range<Int>, after previous: BackgroundReduce?, staged: Bool = false, of plan: StepPlan,
                                    model: ReplicaModel, gradients: StepGradients, link: CoordinatorLink) -> BackgroundReduce {
        if !staged { gradients.stage(part, from: model) }
        let ring = link.ring
        return BackgroundReduce { () throws(TransportError) -> RingTime in
            var time = try previous?.wait().get() ?? RingTime()
            time += try gradients.reduce(part, plan: plan, ring: ring, cancelled: { link.isOver(plan) })
            return time
        }
    }

    /// Waits until the coordinator has sent the exchanged payload of each of this worker's
    /// `slots` slots; returns them by slot.
    private func awaitExchange(_ plan: StepPlan, slots: Int, link: CoordinatorLink) throws(AttemptEnd) -> [Int: [Float]] {
        var exchanged: [Int: [Float]] = [:]
        if slots > 0 { detail("step \(plan.step): waiting for the exchange from the coordinator") }
        while exchanged.count < slots {
            let payloads = try awaitMessage(during: plan, link: link) { message -> [SlotPayload]? in
                guard case .exchanged(let r) = message, r.step == plan.step, r.generation == plan.ringGeneration else { return nil }
                return r.payloads
            }
            for p in payloads { exchanged[p.slot] = p.values }
        }
        return exchanged
    }

    /// Runs the second passes with the exchanged payloads, piece by piece
    /// (`StepGradients.secondPieces`): a piece on every micro-batch, then the next. Each
    /// finished piece but the last is all-reduced in the background after `background`
    /// (which then names that reduce), so it crosses the ring while the next is computed.
    private func secondPasses(_ batches: [[SampleInput]], exchanged: [Int: [Float]], of plan: StepPlan, model: ReplicaModel,
                              gradients: StepGradients, background: inout BackgroundReduce?,
                              into work: inout StepWork, link: CoordinatorLink) throws {
        var terms: [Double] = []
        for (k, piece) in gradients.secondPieces.enumerated() {
            var pieceTerms: [Double] = []
            for (m, batch) in batches.enumerated() {
                let pass = try model.secondPass(batch, exchanged: batch.map { exchanged[$0.slot] ?? [] },
                                                scale: Self.share(batch.count, of: plan.globalBatch), piece: k)
                if pieceTerms.isEmpty { pieceTerms = pass } else { for (i, l) in pass.enumerated() where i < pieceTerms.count { pieceTerms[i] += l } }
                gradients.setAside(m, piece, from: model)
                try checkNotOver(plan, link)
            }
            terms += pieceTerms
            if k < gradients.secondPieces.count - 1 {
                background = reduceInBackground(piece, after: background, of: plan, model: model, gradients: gradients, link: link)
            }
        }
        // The second pass's terms are the last of `lossNames`.
        let first = model.lossNames.count - terms.count
        for (i, l) in terms.enumerated() where first + i >= 0 && first + i < work.losses.count { work.losses[first + i] += l }
    }

    /// Waits for the background reduces (the first part and the finished pieces), all-reduces
    /// the last piece, puts the sums in the replica and reports their checksum (`reduced`).
    /// A failed all-reduce is reported (`stepFailed`) and ends the attempt.
    ///
    /// The last piece crosses the ring on another thread while this one checksums the sums
    /// already in and copies them into the replica: that CPU work fills the wait for the
    /// network instead of following it. The CRC is the same: the buffer's bytes in order.
    ///
    /// The reported all-reduce time is the ring's alone (links, the running sum, the gather)
    /// for both parts; copying the gradients in and out and checksumming the sum count as compute.
    private func reduceAndReport(_ plan: StepPlan, model: ReplicaModel, gradients: StepGradients, early: BackgroundReduce?,
                                 work: inout StepWork, link: CoordinatorLink) throws {
        let staging = gradients.staging
        let last = gradients.lastPiece
        var crc = CRC32()
        let tail = reduceInBackground(last, after: early, of: plan, model: model, gradients: gradients, link: link)
        defer { tail.end(closing: link.ring) }
        let result = Result { () throws(TransportError) -> RingTime in
            let firstTransfer = try early?.wait().get().transfer ?? 0
            let before = 0..<last.lowerBound
            crc.update(UnsafeRawBufferPointer(staging[before]))
            model.replaceGradients(before, with: UnsafeBufferPointer(staging[before]))
            let time = try tail.wait().get()
            detail(String(format: "step %d: computed %.2f s (first pass %.2f s); all-reduce %.3f s (%.3f s during the passes; then %.3f s), waited %.3f s at the ring barrier",
                          plan.step, work.computeSeconds, work.firstPassSeconds, time.transfer, firstTransfer,
                          time.transfer - firstTransfer, time.wait))
            return time
        }
        switch result {
        case .success(let time):
            work.reduceTime = time
        case .failure(let error):
            try checkNotOver(plan, link)
            log("step \(plan.step): all-reduce failed: \(error); telling the coordinator")
            var unreachable = 0
            if case .ringPeerUnreachable(let id, _, _) = error { unreachable = id }
            try send(.stepFailed(StepFailed(step: plan.step, generation: plan.ringGeneration, reason: "all-reduce: \(error)",
                                            unreachableID: unreachable)), link)
            throw AttemptEnd.dropped
        }
        let after = last.lowerBound..<staging.count
        crc.update(UnsafeRawBufferPointer(staging[after]))
        model.replaceGradients(after, with: UnsafeBufferPointer(staging[after]))
        try send(.reduced(Reduced(step: plan.step, generation: plan.ringGeneration, gradientCRC: crc.value,
                                  losses: work.losses.map { Float($0) }, computeSeconds: work.computeSeconds,
                                  reduceSeconds: work.reduceTime.transfer, reduceWaitSeconds: work.reduceTime.wait)), link)
    }

    /// Waits for the coordinator's verdict; on `commit`, applies the update (replicas never
    /// apply a step the coordinator did not commit) and, every `checksumEvery` steps, reports
    /// the parameters' checksum.
    private func applyOnCommit(_ plan: StepPlan, model: ReplicaModel, work: StepWork, link: CoordinatorLink) throws {
        try awaitMessage(during: plan, link: link) { message -> Void? in
            guard case .commit(let step) = message, step == plan.step else { return nil }
            return ()
        }
        try model.applyUpdate(learningRate: plan.learningRate)
        committedStep = plan.step
        handle.committedStep.set(plan.step)
        stepsSinceProgress += 1
        if !options.verbose, progressThrottle.shouldShow(at: Date(), force: false) {
            log(String(format: "step %d committed (%d since the last line); this step: %d slot(s), computed %.2f s, all-reduce %.3f s, waited %.3f s",
                       plan.step, stepsSinceProgress, plan.slots.count, work.computeSeconds, work.reduceTime.transfer, work.reduceTime.wait))
            stepsSinceProgress = 0
        }
        if checksumEvery > 0 && plan.step % checksumEvery == 0 {
            try send(.parameterChecksum(ParameterChecksum(step: plan.step, crc: model.parameterChecksum())), link)
        }
    }

    // MARK: Waiting for the coordinator

    /// Waits for the coordinator's next message that `match` accepts, during attempt `plan`
    /// (nil: between steps, e.g. for a validation request's files), and returns what `match`
    /// made of it. Meanwhile files are cached and stale messages ignored.
    ///
    /// - Throws: `AttemptEnd.dropped` when the coordinator drops the attempt or moves on
    ///   (the message that shows it is kept for the session loop, see `supersedes`);
    ///   `AttemptEnd.session` when the worker stops, the coordinator says goodbye, the
    ///   connection is lost, or `deadline` passes before the message (`late` says what was due).
    func awaitMessage<T>(during plan: StepPlan?, link: CoordinatorLink, until deadline: Date? = nil,
                         late: @autoclosure () -> String = "", _ match: (Message) -> T?) throws(AttemptEnd) -> T {
        while true {
            if let deadline, Date() >= deadline { throw .session(.lost("the coordinator did not send \(late())")) }
            let message: Message
            switch link.inbox.pop(timeout: 0.2) {
            case nil:
                if handle.stopFlag.get() { throw .session(.stopped) }
                if let plan { try checkNotOver(plan, link) }
                continue
            case .failure(let error)?: throw .session(.lost("\(error)"))
            case .success(let m)?: message = m
            }
            if let value = match(message) { return value }
            if supersedes(message, attempt: plan) { throw .dropped }
            switch message {
            case .abort(let a) where plan.map({ a.generation == $0.ringGeneration }) == true:
                log("step \(a.step) dropped by the coordinator: \(a.reason)")
                throw .dropped
            case .bye(let reason):
                throw .session(.finished(reason))
            case .blobs(let blobs):
                store(blobs)
            default:
                break   // stale: belongs to an attempt already over
            }
        }
    }

    /// Ends attempt `plan` (`AttemptEnd.dropped`) when `link.isOver(plan)`, saying so when the
    /// coordinator dropped it (a lost connection shows in the session loop next).
    func checkNotOver(_ plan: StepPlan, _ link: CoordinatorLink) throws(AttemptEnd) {
        guard link.isOver(plan) else { return }
        if let reason = link.aborted.get()[plan.ringGeneration] { log("step \(plan.step) dropped by the coordinator: \(reason)") }
        throw .dropped
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

    // MARK: Plumbing

    /// Sends `message` to the coordinator; a failed send ends the session.
    private func send(_ message: Message, _ link: CoordinatorLink) throws(AttemptEnd) {
        do { try link.connection.send(message) } catch { throw .session(.lost("\(error)")) }
    }

    /// This step's gradient holder, on buffers reused across steps while the model keeps its size.
    private func gradients(for plan: StepPlan, model: ReplicaModel, microBatches: Int, ring: RingEndpoint) -> StepGradients {
        let count = model.gradientCount
        let buffer: GradientStaging
        if let staging, staging.count == count {
            buffer = staging
        } else {
            buffer = GradientStaging(count: count)
            staging = buffer
            extras = []
        }
        let rank = ring.rank(in: plan.ring) ?? 0
        let needed = StepGradients.extraCount(rank: rank, microBatches: microBatches)
        while extras.count < needed { extras.append(GradientStaging(count: count)) }
        return StepGradients(staging: buffer, extras: Array(extras.prefix(needed)), firstPassCount: model.firstPassGradientCount,
                             rank: rank, microBatches: microBatches, firstPieces: model.firstPassPieces,
                             pieces: model.secondPassPieces)
    }

    /// A micro-batch's share of the global batch, the scale of its gradient: computed as
    /// `TrainingStep` computes it (in Double, then rounded to Float), so the bits agree.
    static func share(_ samples: Int, of globalBatch: Int) -> Float {
        Float(Double(samples) / Double(max(1, globalBatch)))
    }
}

extension BackgroundReduce {
    /// Ends the reduce with its attempt: closes the ring links if it is still running (it then
    /// fails at once), and waits, so the buffer it reduces is free again.
    func end(closing ring: RingEndpoint) {
        if !finished { ring.closeLinks() }
        _ = wait()
    }
}

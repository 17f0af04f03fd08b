import Hashing
/// Binary layout of every message (little-endian; see `WireWriter` / `WireReader`).
extension Message {
    /// Nonces and MACs are exactly this long.
    public static let nonceSize = 32

    /// The frame carrying this message.
    public func frame() -> Frame {
        var w = WireWriter()
        switch self {
        case .hello(let h):
            w.write(h.role.rawValue); w.write(h.name); w.writeFixed(h.nonce)
            w.write(h.dataPort); w.write(h.threads); w.write(h.ringGeneration); w.write(h.workerID)
        case .challenge(let c): w.writeFixed(c.nonce)
        case .proof(let p): w.writeFixed(p.proof)
        case .welcome(let x): w.write(x.workerID); w.write(x.runName)
        case .refused(let r): w.write(r.reason)
        case .heartbeat(let seq): w.write(seq)
        case .bye(let reason): w.write(reason)
        case .config(let c): w.writeBytes(c.json)
        case .blobs(let blobs):
            w.write(UInt32(blobs.count))
            for b in blobs { w.writeFixed(b.digest); w.writeBytes(b.bytes) }
        case .blobRequest(let r):
            w.write(UInt32(r.digests.count))
            for d in r.digests { w.writeFixed(d) }
        case .stateRequest(let r): w.write(r.step)
        case .stateBegin(let s): w.write(s.step); w.writeInts(s.optimizerSteps); w.write(s.floatCount); w.write(s.crc)
        case .stateChunk(let c): w = WireWriter(capacity: 16 + c.values.count * 4); w.write(c.offset); w.writeFloats(c.values)
        case .stepPlan(let p):
            w.write(p.step); w.write(p.epoch); w.write(p.learningRate); w.write(p.globalBatch); w.write(p.ringGeneration)
            w.write(UInt32(p.ring.count))
            for m in p.ring { w.write(m.workerID); w.write(m.host); w.write(m.port) }
            w.write(UInt32(p.slots.count))
            for t in p.slots {
                w.write(t.slot); w.write(t.epoch); w.write(t.sampleIndex)
                w.write(UInt32(t.blobs.count)); for d in t.blobs { w.writeFixed(d) }
                w.writeBytes(t.plan)
            }
        case .firstPassResults(let r), .exchanged(let r):
            w = WireWriter(capacity: 32 + r.payloads.reduce(0) { $0 + 12 + $1.values.count * 4 })
            w.write(r.step); w.write(r.generation); w.write(r.seconds); w.write(UInt32(r.payloads.count))
            for p in r.payloads { w.write(p.slot); w.writeFloats(p.values) }
        case .reduced(let r):
            w.write(r.step); w.write(r.generation); w.write(r.gradientCRC); w.writeFloats(r.losses); w.write(r.computeSeconds); w.write(r.reduceSeconds); w.write(r.reduceWaitSeconds)
        case .stepFailed(let f): w.write(f.step); w.write(f.generation); w.write(f.reason); w.write(f.unreachableID)
        case .commit(let step): w.write(step)
        case .abort(let a): w.write(a.step); w.write(a.generation); w.write(a.reason)
        case .parameterChecksum(let c): w.write(c.step); w.write(c.crc)
        case .ringChunk(let c):
            w = WireWriter(capacity: 24 + c.values.count * 4)
            w.write(c.step); w.write(c.sequence); w.writeFloats(c.values)
        case .validationRequest(let r):
            w.write(r.epoch); w.write(r.step); w.write(UInt32(r.items.count))
            for i in r.items { w.write(i.name); w.write(i.domain); w.writeFixed(i.digest) }
        case .validationResult(let r): w.write(r.epoch); w.write(r.name); w.writeBytes(r.png)
        }
        return Frame(kind: kind.rawValue, payload: w.bytes)
    }

    /// Decodes a frame; throws `WireError` naming the field and byte offset of anything malformed.
    public init(frame: Frame) throws(WireError) {
        guard let kind = MessageKind(rawValue: frame.kind) else { throw .unknownKind(frame.kind) }
        var r = WireReader(frame.payload)
        let count = WireReader.count
        switch kind {
        case .hello: self = .hello(try Hello(reading: &r))
        case .challenge: self = .challenge(Challenge(nonce: try r.fixed(Self.nonceSize, "challenge.nonce")))
        case .proof: self = .proof(Proof(proof: try r.fixed(Self.nonceSize, "proof.proof")))
        case .welcome:
            self = .welcome(Welcome(workerID: try r.int("welcome.workerID", in: count), runName: try r.string("welcome.runName", maxBytes: 1024)))
        case .refused: self = .refused(Refused(reason: try r.string("refused.reason", maxBytes: 4096)))
        case .heartbeat: self = .heartbeat(try r.u64("heartbeat.sequence"))
        case .bye: self = .bye(try r.string("bye.reason", maxBytes: 4096))
        case .config: self = .config(ConfigMessage(json: try r.bytes("config.json")))
        case .blobs: self = .blobs(try Blob.readList(&r))
        case .blobRequest: self = .blobRequest(try BlobRequest(reading: &r))
        case .stateRequest: self = .stateRequest(StateRequest(step: try r.int("stateRequest.step", in: count)))
        case .stateBegin:
            self = .stateBegin(StateBegin(step: try r.int("stateBegin.step", in: count),
                                          optimizerSteps: try r.ints("stateBegin.optimizerSteps", in: count),
                                          floatCount: try r.int("stateBegin.floatCount", in: 0...(1 << 34)),
                                          crc: try r.u32("stateBegin.crc")))
        case .stateChunk:
            self = .stateChunk(StateChunk(offset: try r.int("stateChunk.offset", in: 0...(1 << 34)), values: try r.floats("stateChunk.values")))
        case .stepPlan: self = .stepPlan(try StepPlan(reading: &r))
        case .firstPassResults: self = .firstPassResults(try SlotResults(reading: &r, kind: kind))
        case .exchanged: self = .exchanged(try SlotResults(reading: &r, kind: kind))
        case .reduced:
            self = .reduced(Reduced(step: try r.int("reduced.step", in: count), generation: try r.int("reduced.generation", in: count),
                                    gradientCRC: try r.u32("reduced.gradientCRC"), losses: try r.floats("reduced.losses"),
                                    computeSeconds: try r.double("reduced.computeSeconds"), reduceSeconds: try r.double("reduced.reduceSeconds"),
                                    reduceWaitSeconds: try r.double("reduced.reduceWaitSeconds")))
        case .stepFailed:
            self = .stepFailed(StepFailed(step: try r.int("stepFailed.step", in: count), generation: try r.int("stepFailed.generation", in: count),
                                          reason: try r.string("stepFailed.reason", maxBytes: 4096),
                                          unreachableID: try r.int("stepFailed.unreachableID", in: count)))
        case .commit: self = .commit(try r.int("commit.step", in: count))
        case .abort:
            self = .abort(Abort(step: try r.int("abort.step", in: count), generation: try r.int("abort.generation", in: count),
                                reason: try r.string("abort.reason", maxBytes: 4096)))
        case .parameterChecksum:
            self = .parameterChecksum(ParameterChecksum(step: try r.int("parameterChecksum.step", in: count), crc: try r.u32("parameterChecksum.crc")))
        case .ringChunk:
            self = .ringChunk(RingChunk(step: try r.int("ringChunk.step", in: count), sequence: try r.int("ringChunk.sequence", in: count),
                                        values: try r.floats("ringChunk.values")))
        case .validationRequest: self = .validationRequest(try ValidationRequest(reading: &r))
        case .validationResult:
            self = .validationResult(ValidationResult(epoch: try r.int("validationResult.epoch", in: count),
                                                      name: try r.string("validationResult.name", maxBytes: 1024),
                                                      png: try r.bytes("validationResult.png")))
        }
        try r.finish(kind.name)
    }
}

// MARK: Decoding the messages with nested records

extension WireReader {
    /// Counts, steps, generations and ids: any non-negative Int32.
    static let count = 0...Int(Int32.max)
}

extension Hello {
    fileprivate init(reading r: inout WireReader) throws(WireError) {
        let at = r.offset
        guard let role = PeerRole(rawValue: try r.u8("hello.role")) else {
            throw .invalid(field: "hello.role", offset: at, reason: "unknown peer role")
        }
        self.init(role: role, name: try r.string("hello.name", maxBytes: 256),
                  nonce: try r.fixed(Message.nonceSize, "hello.nonce"),
                  dataPort: try r.int("hello.dataPort", in: 0...65535),
                  threads: try r.int("hello.threads", in: 0...4096),
                  ringGeneration: try r.int("hello.ringGeneration", in: WireReader.count),
                  workerID: try r.int("hello.workerID", in: WireReader.count))
    }
}

extension Blob {
    /// A `blobs` payload: each file's digest is checked against its bytes.
    fileprivate static func readList(_ r: inout WireReader) throws(WireError) -> [Blob] {
        let n = try r.recordCount("blobs", minimumSize: Message.nonceSize + 4)
        var blobs: [Blob] = []
        for i in 0..<n {
            let digest = try r.fixed(Message.nonceSize, "blobs[\(i)].digest")
            let at = r.offset
            let bytes = try r.bytes("blobs[\(i)].bytes")
            guard SHA256.hash(bytes) == digest else {
                throw .invalid(field: "blobs[\(i)].bytes", offset: at, reason: "content does not match its SHA-256 digest")
            }
            blobs.append(Blob(digest: digest, bytes: bytes))
        }
        return blobs
    }
}

extension BlobRequest {
    fileprivate init(reading r: inout WireReader) throws(WireError) {
        let n = try r.recordCount("blobRequest.digests", minimumSize: Message.nonceSize)
        var digests: [[UInt8]] = []
        for i in 0..<n { digests.append(try r.fixed(Message.nonceSize, "blobRequest.digests[\(i)]")) }
        self.init(digests: digests)
    }
}

extension StepPlan {
    fileprivate init(reading r: inout WireReader) throws(WireError) {
        let count = WireReader.count
        let step = try r.int("stepPlan.step", in: count)
        let epoch = try r.int("stepPlan.epoch", in: count)
        let lr = try r.double("stepPlan.learningRate")
        let batch = try r.int("stepPlan.globalBatch", in: 1...(1 << 20))
        let generation = try r.int("stepPlan.ringGeneration", in: count)
        let nRing = try r.recordCount("stepPlan.ring", minimumSize: 20)
        var ring: [RingMember] = []
        for i in 0..<nRing {
            ring.append(RingMember(workerID: try r.int("stepPlan.ring[\(i)].workerID", in: count),
                                   host: try r.string("stepPlan.ring[\(i)].host", maxBytes: 256),
                                   port: try r.int("stepPlan.ring[\(i)].port", in: 0...65535)))
        }
        let nSlots = try r.recordCount("stepPlan.slots", minimumSize: 32)
        var slots: [SlotTicket] = []
        for i in 0..<nSlots { slots.append(try SlotTicket(reading: &r, field: "stepPlan.slots[\(i)]", globalBatch: batch)) }
        self.init(step: step, epoch: epoch, learningRate: lr, globalBatch: batch, ringGeneration: generation, ring: ring, slots: slots)
    }
}

extension SlotTicket {
    fileprivate init(reading r: inout WireReader, field: String, globalBatch: Int) throws(WireError) {
        let slot = try r.int("\(field).slot", in: 0...(globalBatch - 1))
        let epoch = try r.int("\(field).epoch", in: WireReader.count)
        let index = try r.int("\(field).sampleIndex", in: 0...Int(Int64.max))
        let nb = try r.recordCount("\(field).blobs", minimumSize: Message.nonceSize)
        var digests: [[UInt8]] = []
        for j in 0..<nb { digests.append(try r.fixed(Message.nonceSize, "\(field).blobs[\(j)]")) }
        let at = r.offset
        let plan = try r.bytes("\(field).plan")
        guard plan.count <= SlotTicket.maxPlanBytes else {
            throw .invalid(field: "\(field).plan", offset: at, reason: "\(plan.count) bytes, more than \(SlotTicket.maxPlanBytes)")
        }
        self.init(slot: slot, epoch: epoch, sampleIndex: index, blobs: digests, plan: plan)
    }
}

extension SlotResults {
    /// `firstPassResults` or `exchanged` (`kind`), which share this layout.
    fileprivate init(reading r: inout WireReader, kind: MessageKind) throws(WireError) {
        let step = try r.int("\(kind).step", in: WireReader.count)
        let generation = try r.int("\(kind).generation", in: WireReader.count)
        let seconds = try r.double("\(kind).seconds")
        let n = try r.recordCount("\(kind).payloads", minimumSize: 12)
        var payloads: [SlotPayload] = []
        for i in 0..<n {
            payloads.append(SlotPayload(slot: try r.int("\(kind).payloads[\(i)].slot", in: WireReader.count),
                                        values: try r.floats("\(kind).payloads[\(i)].values")))
        }
        self.init(step: step, generation: generation, payloads: payloads, seconds: seconds)
    }
}

extension ValidationRequest {
    fileprivate init(reading r: inout WireReader) throws(WireError) {
        let epoch = try r.int("validationRequest.epoch", in: WireReader.count)
        let step = try r.int("validationRequest.step", in: WireReader.count)
        let n = try r.recordCount("validationRequest.items", minimumSize: 44)
        var items: [ValidationItem] = []
        for i in 0..<n {
            items.append(ValidationItem(name: try r.string("validationRequest.items[\(i)].name", maxBytes: 1024),
                                        domain: try r.int("validationRequest.items[\(i)].domain", in: 0...1),
                                        digest: try r.fixed(Message.nonceSize, "validationRequest.items[\(i)].digest")))
        }
        self.init(epoch: epoch, step: step, items: items)
    }
}

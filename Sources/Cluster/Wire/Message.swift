import Hashing
/// Every message of the Herd protocol, as Sendable values.
///
/// Control messages are small; bulk ones (`ringChunk`, `stateChunk`, `firstPassResults`,
/// `exchanged`, `blobs`) carry raw little-endian float32 or bytes, never JSON.
///
/// Files (training images) are content-addressed: a step plan names the SHA-256 of
/// each file a slot needs, the worker asks (`blobRequest`) for those it does not
/// hold, and the coordinator answers with `blobs`. So each file crosses the
/// network once per worker, however many epochs use it.
/// `Message+Encoding.swift` has the binary layout of each.
public enum Message: Sendable, Equatable {
    // Authentication (see `Handshake`).
    case hello(Hello)
    case challenge(Challenge)
    case proof(Proof)
    case welcome(Welcome)
    case refused(Refused)
    // Liveness.
    case heartbeat(UInt64)
    case bye(String)
    // Run set-up.
    case config(ConfigMessage)
    case blobs([Blob])
    case blobRequest(BlobRequest)
    case stateRequest(StateRequest)
    case stateBegin(StateBegin)
    case stateChunk(StateChunk)
    // The step.
    case stepPlan(StepPlan)
    case firstPassResults(SlotResults)
    case exchanged(SlotResults)
    case reduced(Reduced)
    case stepFailed(StepFailed)
    case commit(Int)
    case abort(Abort)
    case parameterChecksum(ParameterChecksum)
    // Worker to worker.
    case ringChunk(RingChunk)
    // Validation images.
    case validationRequest(ValidationRequest)
    case validationResult(ValidationResult)

    /// The frame type of each case.
    public var kind: MessageKind {
        switch self {
        case .hello: .hello
        case .challenge: .challenge
        case .proof: .proof
        case .welcome: .welcome
        case .refused: .refused
        case .heartbeat: .heartbeat
        case .bye: .bye
        case .config: .config
        case .blobs: .blobs
        case .blobRequest: .blobRequest
        case .stateRequest: .stateRequest
        case .stateBegin: .stateBegin
        case .stateChunk: .stateChunk
        case .stepPlan: .stepPlan
        case .firstPassResults: .firstPassResults
        case .exchanged: .exchanged
        case .reduced: .reduced
        case .stepFailed: .stepFailed
        case .commit: .commit
        case .abort: .abort
        case .parameterChecksum: .parameterChecksum
        case .ringChunk: .ringChunk
        case .validationRequest: .validationRequest
        case .validationResult: .validationResult
        }
    }
}

/// Frame type numbers. Never renumber: add new ones and bump `Preamble.version` on layout changes.
public enum MessageKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1, challenge, proof, welcome, refused
    case heartbeat = 10, bye
    case config = 20, blobs, stateRequest, stateBegin, stateChunk, blobRequest
    case stepPlan = 30, firstPassResults, exchanged, reduced, stepFailed, commit, abort, parameterChecksum
    case ringChunk = 40
    case validationRequest = 50, validationResult

    public var description: String { name }
    public var name: String {
        switch self {
        case .hello: "hello"
        case .challenge: "challenge"
        case .proof: "proof"
        case .welcome: "welcome"
        case .refused: "refused"
        case .heartbeat: "heartbeat"
        case .bye: "bye"
        case .config: "config"
        case .blobs: "blobs"
        case .stateRequest: "stateRequest"
        case .stateBegin: "stateBegin"
        case .stateChunk: "stateChunk"
        case .blobRequest: "blobRequest"
        case .stepPlan: "stepPlan"
        case .firstPassResults: "firstPassResults"
        case .exchanged: "exchanged"
        case .reduced: "reduced"
        case .stepFailed: "stepFailed"
        case .commit: "commit"
        case .abort: "abort"
        case .parameterChecksum: "parameterChecksum"
        case .ringChunk: "ringChunk"
        case .validationRequest: "validationRequest"
        case .validationResult: "validationResult"
        }
    }
}

/// What a connecting peer is.
public enum PeerRole: UInt8, Sendable {
    /// A worker joining the coordinator.
    case worker = 1
    /// A worker opening its ring link to its successor.
    case ringPeer = 2
}

/// First frame of a connecting peer (after the preamble).
public struct Hello: Sendable, Equatable {
    public var role: PeerRole
    /// Human name of the worker (`--name`, default the host name).
    public var name: String
    /// 32 fresh random bytes: the server's proof covers them.
    public var nonce: [UInt8]
    /// Port of the worker's ring listener (0 for a ring peer's hello).
    public var dataPort: Int
    /// Kernel threads the worker runs.
    public var threads: Int
    /// For `.ringPeer`: the ring generation and the sender's worker id.
    public var ringGeneration: Int
    public var workerID: Int
    public init(role: PeerRole, name: String, nonce: [UInt8], dataPort: Int = 0, threads: Int = 0, ringGeneration: Int = 0, workerID: Int = 0) {
        self.role = role; self.name = name; self.nonce = nonce; self.dataPort = dataPort
        self.threads = threads; self.ringGeneration = ringGeneration; self.workerID = workerID
    }
}

/// The server's fresh nonce. The server proves nothing before the client has (see `Handshake`).
public struct Challenge: Sendable, Equatable {
    public var nonce: [UInt8]
    public init(nonce: [UInt8]) { self.nonce = nonce }
}

/// A proof of the token over the handshake transcript: first the client's, then (only
/// after the client's checked out) the server's. See `Handshake`.
public struct Proof: Sendable, Equatable {
    public var proof: [UInt8]
    public init(proof: [UInt8]) { self.proof = proof }
}

/// Sent by the coordinator once a worker is authenticated.
public struct Welcome: Sendable, Equatable {
    public var workerID: Int
    public var runName: String
    public init(workerID: Int, runName: String) { self.workerID = workerID; self.runName = runName }
}

/// Why a peer was turned away (then the connection closes).
public struct Refused: Error, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// The run configuration as JSON (a small control message).
public struct ConfigMessage: Sendable, Equatable {
    public var json: [UInt8]
    public init(json: [UInt8]) { self.json = json }
}

/// A content-addressed byte string (an encoded image): `digest` is SHA-256 of `bytes`.
public struct Blob: Sendable, Equatable {
    public var digest: [UInt8]
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes; self.digest = SHA256.hash(bytes) }
    public init(digest: [UInt8], bytes: [UInt8]) { self.digest = digest; self.bytes = bytes }
}

/// A worker asks for the blobs (files) it does not hold, by SHA-256 digest.
public struct BlobRequest: Sendable, Equatable {
    public var digests: [[UInt8]]
    public init(digests: [[UInt8]]) { self.digests = digests }
}

/// The coordinator asks a replica for its full state (to checkpoint it or to seed a joiner).
public struct StateRequest: Sendable, Equatable {
    /// The step the state must be at (the replica's last committed step).
    public var step: Int
    public init(step: Int) { self.step = step }
}

/// Header of a replica state transfer; `floatCount` floats follow in `stateChunk`s.
public struct StateBegin: Sendable, Equatable {
    /// Committed steps so far.
    public var step: Int
    /// Adam update counts (generators, discriminators).
    public var optimizerSteps: [Int]
    public var floatCount: Int
    /// CRC32 of all the floats' bytes.
    public var crc: UInt32
    public init(step: Int, optimizerSteps: [Int], floatCount: Int, crc: UInt32) {
        self.step = step; self.optimizerSteps = optimizerSteps; self.floatCount = floatCount; self.crc = crc
    }
}

/// Part of a state transfer: floats `[offset, offset + values.count)`.
public struct StateChunk: Sendable, Equatable {
    public var offset: Int
    public var values: [Float]
    public init(offset: Int, values: [Float]) { self.offset = offset; self.values = values }
}

/// One global-batch position and the sample it computes.
public struct SlotTicket: Sendable, Equatable {
    /// Position in the global batch, 0..<batchSize: fixes the pool's order.
    public var slot: Int
    public var epoch: Int
    /// Sample index within the epoch (step-major, so a resumed run neither replays nor skips).
    public var sampleIndex: Int
    /// SHA-256 digests of the blobs (files) the sample needs; the worker asks for those it lacks.
    public var blobs: [[UInt8]]
    /// How to make the sample from its blobs, encoded by the run model (CycleGAN: the
    /// sample's `SamplePlan` crops and flips and the files' names); at most 4096 bytes.
    public var plan: [UInt8]
    /// The longest `plan` a peer accepts.
    public static let maxPlanBytes = 4096
    public init(slot: Int, epoch: Int, sampleIndex: Int, blobs: [[UInt8]], plan: [UInt8] = []) {
        self.slot = slot; self.epoch = epoch; self.sampleIndex = sampleIndex; self.blobs = blobs; self.plan = plan
    }
}

/// A member of the all-reduce ring.
public struct RingMember: Sendable, Equatable {
    public var workerID: Int
    public var host: String
    public var port: Int
    public init(workerID: Int, host: String, port: Int) { self.workerID = workerID; self.host = host; self.port = port }
}

/// What one worker does in one step.
public struct StepPlan: Sendable, Equatable {
    /// 1-based global step.
    public var step: Int
    public var epoch: Int
    public var learningRate: Double
    public var globalBatch: Int
    /// Changes whenever the membership changes; ring links are per generation.
    public var ringGeneration: Int
    /// All members in ring order (every member, even with no slots, takes part).
    public var ring: [RingMember]
    /// This worker's slots.
    public var slots: [SlotTicket]
    public init(step: Int, epoch: Int, learningRate: Double, globalBatch: Int, ringGeneration: Int, ring: [RingMember], slots: [SlotTicket]) {
        self.step = step; self.epoch = epoch; self.learningRate = learningRate; self.globalBatch = globalBatch
        self.ringGeneration = ringGeneration; self.ring = ring; self.slots = slots
    }
}

/// Per-slot float data: a first pass's payload a worker sends, the exchanged payload the
/// coordinator returns (CycleGAN: fakes, pooled fakes).
public struct SlotPayload: Sendable, Equatable {
    public var slot: Int
    public var values: [Float]
    public init(slot: Int, values: [Float]) { self.slot = slot; self.values = values }
}

/// The payloads of a step's slots.
public struct SlotResults: Sendable, Equatable {
    public var step: Int
    /// The attempt (`StepPlan.ringGeneration`) these belong to.
    public var generation: Int
    public var payloads: [SlotPayload]
    /// Seconds from the step's start until the payloads were ready (informational; the coordinator keeps it per worker).
    public var seconds: Double
    public init(step: Int, generation: Int = 0, payloads: [SlotPayload], seconds: Double = 0) {
        self.step = step; self.generation = generation; self.payloads = payloads; self.seconds = seconds
    }
}

/// A worker finished its share and the all-reduce.
public struct Reduced: Sendable, Equatable {
    public var step: Int
    public var generation: Int
    /// CRC32 of the all-reduced gradient: equal on every replica, or the step is dropped.
    public var gradientCRC: UInt32
    /// This worker's share of each loss term (already divided by the global batch).
    public var losses: [Float]
    public var computeSeconds: Double
    /// Seconds the ring moved gradients (every member had joined): comparable with the link bound.
    public var reduceSeconds: Double
    /// Seconds this worker waited at the ring's barrier for the slowest member to finish computing.
    public var reduceWaitSeconds: Double
    public init(step: Int, generation: Int, gradientCRC: UInt32, losses: [Float], computeSeconds: Double, reduceSeconds: Double,
                reduceWaitSeconds: Double = 0) {
        self.step = step; self.generation = generation; self.gradientCRC = gradientCRC; self.losses = losses
        self.computeSeconds = computeSeconds; self.reduceSeconds = reduceSeconds; self.reduceWaitSeconds = reduceWaitSeconds
    }
}

/// A worker could not finish a step (ring link broke, bad data...).
public struct StepFailed: Sendable, Equatable {
    public var step: Int
    public var generation: Int
    public var reason: String
    /// The ring member the reporter could not reach (0: none named). The coordinator evicts it.
    public var unreachableID: Int
    public init(step: Int, generation: Int, reason: String, unreachableID: Int = 0) {
        self.step = step; self.generation = generation; self.reason = reason; self.unreachableID = unreachableID
    }
}

/// The coordinator drops a step everywhere.
public struct Abort: Sendable, Equatable {
    public var step: Int
    public var generation: Int
    public var reason: String
    public init(step: Int, generation: Int, reason: String) { self.step = step; self.generation = generation; self.reason = reason }
}

/// A replica's parameter checksum after committing `step`.
public struct ParameterChecksum: Sendable, Equatable {
    public var step: Int
    public var crc: UInt32
    public init(step: Int, crc: UInt32) { self.step = step; self.crc = crc }
}

/// Worker-to-worker all-reduce data: piece `sequence` of the step's ring schedule.
public struct RingChunk: Sendable, Equatable {
    public var step: Int
    public var sequence: Int
    public var values: [Float]
    public init(step: Int, sequence: Int, values: [Float]) { self.step = step; self.sequence = sequence; self.values = values }
}

/// Translate validation images (blobs already sent) with the committed parameters of `step`.
public struct ValidationRequest: Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var items: [ValidationItem]
    public init(epoch: Int, step: Int, items: [ValidationItem]) { self.epoch = epoch; self.step = step; self.items = items }
}

/// One validation image: its file name, its domain (0 = A, 1 = B) and its blob digest.
public struct ValidationItem: Sendable, Equatable {
    public var name: String
    public var domain: Int
    public var digest: [UInt8]
    public init(name: String, domain: Int, digest: [UInt8]) { self.name = name; self.domain = domain; self.digest = digest }
}

/// A rendered validation image (PNG bytes).
public struct ValidationResult: Sendable, Equatable {
    public var epoch: Int
    public var name: String
    public var png: [UInt8]
    public init(epoch: Int, name: String, png: [UInt8]) { self.epoch = epoch; self.name = name; self.png = png }
}

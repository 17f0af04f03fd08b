import Hashing
/// The full state a replica needs to continue a run: parameters and both
/// optimizers, flattened (`values`' layout belongs to the model), plus the step count.
public struct ReplicaState: Sendable, Equatable {
    /// Committed steps so far.
    public var step: Int
    /// Update counts of the optimizers (Adam G, Adam D).
    public var optimizerSteps: [Int]
    public var values: [Float]
    public init(step: Int, optimizerSteps: [Int], values: [Float]) {
        self.step = step; self.optimizerSteps = optimizerSteps; self.values = values
    }
}

/// One sample a worker computes: its slot in the global batch, its (epoch, index)
/// key, its blobs (encoded files) in ticket order with their SHA-256 digests, and
/// the run model's plan for turning them into the sample (crops, flips).
public struct SampleInput: Sendable {
    public var slot: Int
    public var epoch: Int
    public var index: Int
    public var blobs: [[UInt8]]
    /// SHA-256 of each of `blobs` (replicas key their decoded-image caches by it).
    public var digests: [[UInt8]]
    /// `SlotTicket.plan`: opaque to the engine, read by the replica.
    public var plan: [UInt8]
    public init(slot: Int, epoch: Int, index: Int, blobs: [[UInt8]], digests: [[UInt8]]? = nil, plan: [UInt8] = []) {
        self.slot = slot; self.epoch = epoch; self.index = index; self.blobs = blobs
        self.digests = digests ?? blobs.map { SHA256.hash($0) }; self.plan = plan
    }
}

/// What the coordinator tells a worker about one sample: the digests of the files
/// it is made of and the run model's plan (see `SlotTicket`).
public struct SampleSpec: Sendable, Equatable {
    public var digests: [[UInt8]]
    public var plan: [UInt8]
    public init(digests: [[UInt8]], plan: [UInt8] = []) { self.digests = digests; self.plan = plan }
}

/// The numeric side of a worker's replica (CycleGAN's decomposed step, or the tests' toy model).
///
/// A step has two passes with an exchange between them. The engine calls, per step:
/// `resetGradients`, `firstPass` per micro-batch (each sample's exchange payload goes to the
/// coordinator, whose `RunModel.exchange` returns a payload per sample), then starts
/// all-reducing the first part of the gradient buffer on another thread while it runs
/// `secondPass` per micro-batch with the exchanged payloads; then it all-reduces the rest
/// and, only once the coordinator commits the step, calls `applyUpdate`. A dropped step
/// just resets the gradients. (CycleGAN: the first pass is the generators', the payloads
/// are the fakes, the exchange is the image pools, the second pass is the discriminators'.)
///
/// The gradient buffer (CycleGAN: `[G ‖ D]`) is read and written through copies
/// (`copyGradients`, `replaceGradients`), on the engine's thread only: the model is never
/// touched by two threads at once.
public protocol ReplicaModel: AnyObject {
    /// Floats in the all-reduced gradient buffer.
    var gradientCount: Int { get }
    /// Floats of one slot's exchange payload (the first pass's output sent to the coordinator).
    var exchangeCount: Int { get }
    /// Loss term names: the first pass's terms first, then the second pass's.
    var lossNames: [String] { get }
    /// Samples per micro-batch (≥ 1): the engine runs each pass on this many of the worker's
    /// slots at a time, cut from its first slot, as the single-process trainer cuts the batch.
    /// Must equal the run model's `RunModel.microBatch`.
    var microBatch: Int { get }
    /// Replaces parameters and optimizer state.
    func load(_ state: ReplicaState) throws
    /// The current parameters and optimizer state, at committed step `step`.
    func state(step: Int) -> ReplicaState
    /// Zeroes the gradient buffer.
    func resetGradients()
    /// First pass on one micro-batch: adds `scale` × its gradient (scale = n / global batch),
    /// returns each sample's exchange payload (`exchangeCount` floats) and the loss terms × `scale`.
    func firstPass(_ samples: [SampleInput], scale: Float) throws -> (exchange: [[Float]], losses: [Double])
    /// ``firstPass(_:scale:)`` that also hands the payloads to `exchangeReady` (once) as soon
    /// as they exist, before the pass ends (CycleGAN: once both fakes are made, about a third
    /// in). The engine sends the last micro-batch's at once, so the coordinator's exchange is
    /// back by the time the first passes end. Same gradient, payloads and losses as
    /// ``firstPass(_:scale:)``. Default: the whole pass, then `exchangeReady`.
    func firstPass(_ samples: [SampleInput], scale: Float,
                   exchangeReady: ([[Float]]) -> Void) throws -> (exchange: [[Float]], losses: [Double])
    /// ``firstPass(_:scale:exchangeReady:)`` that also hands over pieces of the first part
    /// (`firstPassPieces`, in order) as soon as this micro-batch's part of them is in, before
    /// the pass ends (CycleGAN: `G_AB`'s, with `G_BA`'s identity, a sixth of the pass, still to
    /// run): `gradientsReady(range, floats)`, `floats` being exactly the buffer's floats `range`
    /// (`floats[0]` is float `range.lowerBound`), valid during the call only. The pass adds
    /// nothing to them afterwards; the engine may copy them out and zero them, and on the last
    /// micro-batch starts their all-reduce while the pass goes on. A range that is not the next
    /// piece is ignored. Same gradient, payloads and losses as ``firstPass(_:scale:)``.
    /// Default: ``firstPass(_:scale:exchangeReady:)``, nothing handed over.
    func firstPass(_ samples: [SampleInput], scale: Float, exchangeReady: ([[Float]]) -> Void,
                   gradientsReady: (Range<Int>, UnsafeMutableBufferPointer<Float>) -> Void) throws -> (exchange: [[Float]], losses: [Double])
    /// Second pass on one micro-batch with its samples' exchanged payloads; adds `scale` × its
    /// gradient; returns loss terms × `scale`.
    func secondPass(_ samples: [SampleInput], exchanged: [[Float]], scale: Float) throws -> [Double]
    /// The second part of the gradient buffer (`firstPassGradientCount ..< gradientCount`) cut
    /// into consecutive pieces the second pass can compute one at a time (CycleGAN: `D_A`'s
    /// floats, then `D_B`'s). The engine runs piece 0 on every micro-batch, starts all-reducing
    /// it, and computes the next piece meanwhile; only the last piece's all-reduce is left
    /// when the passes end. Every replica of a run must give the same pieces.
    /// Default: one piece, the whole second part.
    var secondPassPieces: [Range<Int>] { get }
    /// ``secondPass(_:exchanged:scale:)`` for the floats of `secondPassPieces[piece]` only:
    /// adds `scale` × that piece's gradient and returns that piece's loss terms × `scale`.
    /// Running every piece in order on a micro-batch gives that micro-batch's whole second
    /// pass, its loss terms in `lossNames` order, bit for bit.
    func secondPass(_ samples: [SampleInput], exchanged: [[Float]], scale: Float, piece: Int) throws -> [Double]
    /// Floats at the start of the gradient buffer that are final once the first passes are
    /// done (CycleGAN's G part): the engine all-reduces them while the second passes run.
    /// 0 turns the overlap off. Every replica of a run must give the same value.
    var firstPassGradientCount: Int { get }
    /// The first part (`0 ..< firstPassGradientCount`) cut into consecutive pieces, each
    /// all-reduced on its own and in this order by every worker, whether or not the pass
    /// handed it over early (CycleGAN: `G_AB`'s floats, then `G_BA`'s), so that every member
    /// of the ring runs the same all-reduces. Every replica of a run must give the same pieces.
    /// Default: one piece, the whole first part.
    var firstPassPieces: [Range<Int>] { get }
    /// Copies floats `range` of the gradient buffer into `destination` (`range.count` floats).
    func copyGradients(_ range: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>)
    /// Overwrites floats `range` of the gradient buffer with `source` (the all-reduced sums).
    func replaceGradients(_ range: Range<Int>, with source: UnsafeBufferPointer<Float>)
    /// Zeroes floats `range` of the gradient buffer (after a micro-batch's gradient was copied
    /// out to be kept apart), so the next pass adds its gradient to zeros.
    func zeroGradients(_ range: Range<Int>)
    /// The optimizer step with the (summed) gradient buffer (CycleGAN: Adam on G then on D).
    func applyUpdate(learningRate: Double) throws
    /// CRC32 of the parameters (replicas compare it).
    func parameterChecksum() -> UInt32
    /// Translates a validation image (encoded bytes, domain 0 = A, 1 = B) into PNG bytes.
    func renderValidation(_ image: [UInt8], domain: Int) throws -> [UInt8]
}

extension ReplicaModel {
    public func firstPass(_ samples: [SampleInput], scale: Float,
                          exchangeReady: ([[Float]]) -> Void) throws -> (exchange: [[Float]], losses: [Double]) {
        let pass = try firstPass(samples, scale: scale)
        exchangeReady(pass.exchange)
        return pass
    }

    public func firstPass(_ samples: [SampleInput], scale: Float, exchangeReady: ([[Float]]) -> Void,
                          gradientsReady: (Range<Int>, UnsafeMutableBufferPointer<Float>) -> Void) throws -> (exchange: [[Float]], losses: [Double]) {
        try firstPass(samples, scale: scale, exchangeReady: exchangeReady)
    }

    public var secondPassPieces: [Range<Int>] { [min(firstPassGradientCount, gradientCount)..<gradientCount] }

    public var firstPassPieces: [Range<Int>] { [0..<min(max(0, firstPassGradientCount), gradientCount)] }

    public func secondPass(_ samples: [SampleInput], exchanged: [[Float]], scale: Float, piece: Int) throws -> [Double] {
        try secondPass(samples, exchanged: exchanged, scale: scale)
    }

    /// Zeroes floats `range` through `replaceGradients` (models with direct access do better).
    public func zeroGradients(_ range: Range<Int>) {
        let zeros = [Float](repeating: 0, count: range.count)
        zeros.withUnsafeBufferPointer { replaceGradients(range, with: $0) }
    }
}

/// The coordinator's side of a run: data, schedule, the exchange (CycleGAN: the image pools),
/// checkpoints, validation output.
public protocol RunModel: AnyObject {
    /// Samples per epoch.
    var epochLength: Int { get }
    var totalEpochs: Int { get }
    /// Floats of one slot's exchange payload.
    var exchangeCount: Int { get }
    /// Loss term names (must match the replicas').
    var lossNames: [String] { get }
    /// Samples per micro-batch (≥ 1): the coordinator hands each worker whole micro-batches of
    /// the global batch (see `SlotAllocator.ranges`). Must equal the replicas' `microBatch`.
    var microBatch: Int { get }
    func learningRate(epoch: Int) -> Double
    /// The files sample `index` of `epoch` is made of (by SHA-256) and its plan.
    func sample(epoch: Int, index: Int) throws -> SampleSpec
    /// The blob (file) with this SHA-256 digest, read when a worker asks for it; nil when
    /// no sample or validation image of the run has it. Throws when the file cannot be read
    /// or no longer has that digest.
    func blob(digest: [UInt8]) throws -> Blob?
    /// Parameters and optimizers at step 0 (initialisation from the seed).
    func initialState() throws -> ReplicaState
    /// The exchange of one step: a payload per slot in global slot order in, one out
    /// (CycleGAN: the fakes through the image pools).
    func exchange(_ payloads: [[Float]]) throws -> [[Float]]
    /// The exchange's state (to undo a dropped step) and its restoration.
    func exchangeSnapshot() -> any Sendable
    func restoreExchange(_ snapshot: any Sendable) throws
    /// Writes a checkpoint (atomically) of `state` and the exchange's state; returns its path.
    func saveCheckpoint(_ state: ReplicaState) throws -> String
    /// The newest checkpoint's state, with the exchange's state restored, or nil when there is none.
    func loadLatestCheckpoint() throws -> ReplicaState?
    /// Validation images for the end of `epoch` (empty: none this epoch).
    func validationItems(epoch: Int) throws -> [(item: ValidationItem, blob: Blob)]
    /// Stores rendered validation images (and updates the gallery); returns the directory.
    func storeValidation(epoch: Int, results: [ValidationResult]) throws -> String
}

/// The step/epoch arithmetic shared with the single-process trainer: step `k`
/// (1-based) is step `(k-1) % stepsPerEpoch` of epoch `(k-1) / stepsPerEpoch + 1`,
/// and takes samples `[s·B, min((s+1)·B, epochLength))` of it.
public struct StepSchedule: Sendable, Equatable {
    public var epochLength: Int
    public var batchSize: Int
    public var totalEpochs: Int

    public init(epochLength: Int, batchSize: Int, totalEpochs: Int) {
        self.epochLength = max(1, epochLength); self.batchSize = max(1, batchSize); self.totalEpochs = max(0, totalEpochs)
    }

    public var stepsPerEpoch: Int { (epochLength + batchSize - 1) / batchSize }
    public var totalSteps: Int { stepsPerEpoch * totalEpochs }

    public func epoch(ofStep step: Int) -> Int { (step - 1) / stepsPerEpoch + 1 }
    public func stepInEpoch(_ step: Int) -> Int { (step - 1) % stepsPerEpoch }
    /// Sample indices of `step`, in slot order.
    public func samples(ofStep step: Int) -> Range<Int> {
        let first = stepInEpoch(step) * batchSize
        return first..<min(first + batchSize, epochLength)
    }
    /// Whether `step` is the last of its epoch.
    public func endsEpoch(_ step: Int) -> Bool { stepInEpoch(step) == stepsPerEpoch - 1 }
}

import Foundation

/// A worker's gradient of one step, held so that the ring sums it in `herd train`'s order
/// (see `RingAllReduce`).
///
/// The first worker of the ring accumulates its micro-batches' gradients in the replica, as
/// `herd train` does. Any other worker keeps each micro-batch's gradient apart (the first in
/// `staging`, the others in `extras`) until the running sum of the slots before its own
/// arrives, then adds them to it one by one. A worker holding k micro-batches therefore
/// keeps up to k-1 gradient copies besides `staging`.
///
/// The buffer is cut in parts: `firstPart` is final after the first passes and is reduced
/// while the second passes run, piece by piece (`firstPieces`; a piece the model hands over
/// before the last pass ends starts earlier); `secondPieces` cut the rest as the model computes it
/// (`ReplicaModel.secondPassPieces`), each reduced once its passes are done, so only the
/// last one's reduce is left after the passes.
struct StepGradients: Sendable {
    /// The all-reduce buffer: the first sum this worker sends (or its only one).
    let staging: GradientStaging
    /// Micro-batch gradients 2, 3, … kept apart (empty on the ring's first worker).
    let extras: [GradientStaging]
    /// Whether micro-batch gradients leave the replica as they are computed.
    let keepApart: Bool
    /// Whether this worker has no slots this step (it only passes the ring's sums on).
    let idle: Bool
    let firstPart: Range<Int>
    /// The first part in the model's pieces (`ReplicaModel.firstPassPieces`); one piece when
    /// those do not tile it, none when it is empty.
    let firstPieces: [Range<Int>]
    /// The rest of the buffer, in the model's pieces; one piece when those do not tile it
    /// (never none).
    let secondPieces: [Range<Int>]
    /// The piece reduced after the passes; the others are reduced while the next is computed.
    var lastPiece: Range<Int> { secondPieces[secondPieces.count - 1] }

    /// - Parameters:
    ///   - gradientCount: floats of the replica's gradient buffer (`staging.count`).
    ///   - firstPassCount: `ReplicaModel.firstPassGradientCount` (clamped to the buffer).
    ///   - rank: this worker's place in the step's ring (0: it accumulates in the replica).
    ///   - microBatches: how many micro-batches it computes this step.
    ///   - firstPieces: `ReplicaModel.firstPassPieces`.
    ///   - pieces: `ReplicaModel.secondPassPieces`.
    init(staging: GradientStaging, extras: [GradientStaging], firstPassCount: Int, rank: Int, microBatches: Int,
         firstPieces: [Range<Int>] = [], pieces: [Range<Int>] = []) {
        self.staging = staging
        self.extras = extras
        keepApart = rank > 0
        idle = microBatches == 0
        firstPart = 0..<min(max(0, firstPassCount), staging.count)
        self.firstPieces = firstPart.isEmpty ? [] : Self.tiles(firstPieces, firstPart) ? firstPieces : [firstPart]
        let rest = firstPart.upperBound..<staging.count
        secondPieces = Self.tiles(pieces, rest) ? pieces : [rest]
    }

    /// Whether `pieces` are non-empty, consecutive and cover exactly `whole`.
    static func tiles(_ pieces: [Range<Int>], _ whole: Range<Int>) -> Bool {
        guard let first = pieces.first, let last = pieces.last,
              first.lowerBound == whole.lowerBound, last.upperBound == whole.upperBound else { return false }
        return zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound } && pieces.allSatisfy { !$0.isEmpty }
    }

    /// Copies needed besides `staging` for `microBatches` micro-batches at ring place `rank`.
    static func extraCount(rank: Int, microBatches: Int) -> Int { rank > 0 ? max(0, microBatches - 1) : 0 }

    /// After micro-batch `m`'s pass: moves its gradient (floats `part`) out of the replica when
    /// kept apart, leaving zeros for the next micro-batch to add to.
    func setAside(_ m: Int, _ part: Range<Int>, from model: ReplicaModel) {
        guard keepApart, !part.isEmpty else { return }
        model.copyGradients(part, into: m == 0 ? staging[part] : extras[m - 1][part])
        model.zeroGradients(part)
    }

    /// ``setAside(_:_:from:)`` then ``stage(_:from:)`` for floats `part` that the model hands
    /// over mid-pass (`ReplicaModel.firstPass(_:scale:exchangeReady:gradientsReady:)`):
    /// `floats` are exactly the model's floats `part` (`part.count` of them: the caller checks),
    /// final for micro-batch `m`.
    func release(_ m: Int, _ part: Range<Int>, floats: UnsafeMutableBufferPointer<Float>) {
        precondition(floats.count == part.count, "released \(floats.count) floats for range \(part)")
        if keepApart {
            _ = (m == 0 ? staging[part] : extras[m - 1][part]).update(fromContentsOf: floats)
            floats.update(repeating: 0)
        } else {
            _ = staging[part].update(fromContentsOf: floats)
        }
    }

    /// Before reducing floats `part`: makes `staging` hold the first (or only) sum to send.
    func stage(_ part: Range<Int>, from model: ReplicaModel) {
        if !part.isEmpty && (!keepApart || idle) { model.copyGradients(part, into: staging[part]) }
    }

    /// Sums floats `part` across the ring of `plan` in place (`staging`, then each of `extras`
    /// in slot order), after a barrier: the transfer time is the ring's own (comparable with
    /// the link bound), the wait is for the slowest member.
    ///
    /// The barrier may wait as long as a slow machine computes (`barrierTimeout`); an abort
    /// or a dead peer ends it at once (the links close), so no long timeout is ever sat out.
    func reduce(_ part: Range<Int>, plan: StepPlan, ring: RingEndpoint,
                cancelled: () -> Bool) throws(TransportError) -> RingTime {
        guard !part.isEmpty else { return RingTime() }
        let start = Date()
        let links = try ring.links(generation: plan.ringGeneration, ring: plan.ring, timeout: 10, cancelled: cancelled)
        _ = try links.barrier(step: plan.step, timeout: Self.barrierTimeout)
        let ready = Date()
        _ = try links.allReduce(staging[part], addends: extras.map { UnsafeBufferPointer($0[part]) }, step: plan.step, timeout: 10)
        return RingTime(transfer: Date().timeIntervalSince(ready), wait: ready.timeIntervalSince(start))
    }

    /// Longest wait at the ring barrier for a member still computing its share.
    static let barrierTimeout: Double = 1800
}

/// Every step's losses in bounded memory: at most `capacity` points, each the
/// mean of `stride` consecutive steps. When full, neighbouring points are
/// averaged pairwise and `stride` doubles, so a long run keeps its whole shape
/// at coarser resolution.
public struct LossHistory: Sendable, Codable, Equatable {
    /// Points kept at most (even, at least 2).
    public private(set) var capacity: Int
    /// Steps per complete point.
    public private(set) var stride = 1
    /// Complete points, oldest first.
    private var complete: [LossPoint] = []
    /// The point being filled (fewer than `stride` steps so far).
    private var pending: LossPoint?
    /// The most recent step as reported, not averaged.
    public private(set) var latest: LossPoint?

    public init(capacity: Int = 512) {
        self.capacity = max(2, capacity + capacity % 2)
    }

    /// Records one step's losses. Steps are expected in increasing order.
    public mutating func append(step: Int, losses: LossValues) {
        let point = LossPoint(step: step, losses: losses)
        latest = point
        let filled = pending.map { $0.merged(with: point) } ?? point
        guard filled.count >= stride else {
            pending = filled
            return
        }
        pending = nil
        complete.append(filled)
        if complete.count >= capacity {
            complete = Swift.stride(from: 0, to: complete.count - 1, by: 2).map { complete[$0].merged(with: complete[$0 + 1]) }
            stride *= 2
        }
    }

    /// The curve: complete points, then the partial one being filled.
    public var points: [LossPoint] { pending.map { complete + [$0] } ?? complete }

    /// Steps recorded.
    public var stepCount: Int { points.reduce(0) { $0 + $1.count } }

    public var isEmpty: Bool { latest == nil }
}

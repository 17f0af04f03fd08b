/// Where an all-reduce's seconds went: moving gradients, or waiting for the slowest member.
struct RingTime: Sendable {
    /// Seconds from the barrier to the end: the ring's own time.
    var transfer: Double = 0
    /// Seconds until every member had reached the barrier (links included).
    var wait: Double = 0

    static func += (a: inout RingTime, b: RingTime) { a.transfer += b.transfer; a.wait += b.wait }
}

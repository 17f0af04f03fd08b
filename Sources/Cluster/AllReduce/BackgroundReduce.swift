import Foundation

/// An all-reduce running on its own thread while the worker goes on computing (the
/// first part of the gradients is summed across the ring during the second passes).
///
/// `wait()` must be called before the buffer it reduces is read or reused; to end it
/// early, close the ring links (`RingEndpoint.closeLinks()`), which makes it fail at once.
final class BackgroundReduce: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = LockedBox<Result<RingTime, TransportError>?>(nil)

    /// Starts `work` (which returns its ring time) on a new thread.
    init(_ work: @escaping @Sendable () throws(TransportError) -> RingTime) {
        Thread.detachNewThread { [done, outcome] in
            let result = Result { () throws(TransportError) -> RingTime in try work() }
            outcome.set(result)
            done.signal()
        }
    }

    /// True once the reduce has ended (successfully or not).
    var finished: Bool { outcome.get() != nil }

    /// Blocks until the reduce ends; its ring time or its error. Safe to call again.
    func wait() -> Result<RingTime, TransportError> {
        if let result = outcome.get() { return result }
        done.wait()
        done.signal()   // later calls return at once
        return outcome.get() ?? .failure(.closed(peer: "ring"))
    }
}

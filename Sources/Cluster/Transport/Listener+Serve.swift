import Foundation
import Synchronization

extension Listener {
    /// Connections a listener keeps in their handshake at once; more are closed on arrival.
    public static let defaultMaxPending = 32

    /// Accepts connections on a background thread until the listener closes, and runs
    /// `serve` for each on its own thread.
    ///
    /// Strangers are bounded: at most `maxPending` connections may be between accept and
    /// `authenticated()` (which `serve` calls once the peer proved the token; returning
    /// counts too); beyond that a new connection is closed at once. Each of them may send
    /// only handshake-sized frames and has `Handshake.totalTimeout` seconds, so a flood of
    /// idle or oversized connections costs at most `maxPending` descriptors and a few KB
    /// each. Refusals and accept failures (out of descriptors) are logged at most every
    /// 10 s, with counts, and never stop the loop.
    public func serveInBackground(name: String, maxPayload: Int = Frame.defaultMaxPayload, maxPending: Int = defaultMaxPending,
                                  log: @escaping @Sendable (String) -> Void,
                                  serve: @escaping @Sendable (Connection, _ authenticated: @escaping @Sendable () -> Void) -> Void) {
        let pending = PendingCount()
        Thread.detachNewThread { [self] in
            var refused = 0
            var lastReport = Date.distantPast
            while !closed {
                let connection = accept(timeout: 0.5, maxPayload: maxPayload)
                if let connection {
                    if pending.value.load(ordering: .acquiring) >= maxPending {
                        connection.close()
                        refused += 1
                    } else {
                        pending.value.add(1, ordering: .acquiringAndReleasing)
                        let slot = PendingSlot(pending)
                        Thread.detachNewThread {
                            serve(connection, slot.release)
                            slot.release()
                        }
                    }
                }
                guard Date().timeIntervalSince(lastReport) >= 10 else { continue }
                let failure = acceptFailures.update { f -> (reason: String, count: Int)? in defer { f = nil }; return f }
                if refused > 0 {
                    log("\(name): refused \(refused) connection(s): \(maxPending) connections are still in their handshake "
                        + "(the limit); someone may be opening connections without the token")
                }
                if let failure {
                    log("\(name): turned away \(failure.count) connection(s): \(failure.reason); connected peers are not affected")
                }
                if refused > 0 || failure != nil { lastReport = Date() }
                refused = 0
            }
        }
    }
}

/// How many of a listener's connections are in their handshake.
private final class PendingCount: Sendable {
    let value = Atomic<Int>(0)
}

/// One connection's place among a listener's pending handshakes; released once.
private final class PendingSlot: Sendable {
    private let count: PendingCount
    private let released = Atomic<Bool>(false)
    init(_ count: PendingCount) { self.count = count }
    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { count.value.subtract(1, ordering: .acquiringAndReleasing) }
    }
}

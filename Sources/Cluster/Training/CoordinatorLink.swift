import Foundation

/// A worker's side of one session with the coordinator: the connection, the queue its reader
/// thread fills, the step attempts the coordinator dropped, and the ring endpoint.
///
/// Two threads serve it until `close()`: a reader that queues every message (and, on an
/// `abort`, marks the attempt dropped and closes the ring links at once, so an all-reduce in
/// progress ends), and a heartbeat sender. The worker's own thread only pops `inbox`.
struct CoordinatorLink: Sendable {
    let connection: Connection
    let ring: RingEndpoint
    let inbox = EventQueue<Result<Message, TransportError>>()
    /// Ring generations the coordinator dropped, and why.
    let aborted = LockedBox<[Int: String]>([:])
    private let ended = LockedBox(false)

    /// Starts the reader and heartbeat threads; `heartbeat` is read anew before every beat
    /// (the run configuration may change it).
    static func open(_ connection: Connection, ring: RingEndpoint, heartbeat: LockedBox<Double>) -> CoordinatorLink {
        let link = CoordinatorLink(connection: connection, ring: ring)
        Thread.detachNewThread { link.read(heartbeat: heartbeat) }
        Thread.detachNewThread {
            var sequence: UInt64 = 0
            while !link.ended.get() && !connection.closed {
                sequence += 1
                do { try connection.send(.heartbeat(sequence)) } catch { return }
                Thread.sleep(forTimeInterval: heartbeat.get())
            }
        }
        return link
    }

    /// Ends the session's threads (the reader at its next message or timeout).
    func close() { ended.set(true) }

    /// Whether attempt `plan` is over: dropped by the coordinator, or the coordinator is gone.
    func isOver(_ plan: StepPlan) -> Bool {
        aborted.get()[plan.ringGeneration] != nil || connection.closed
    }

    private func read(heartbeat: LockedBox<Double>) {
        while !ended.get() {
            do {
                let dead = HeartbeatPolicy.deadAfter(interval: heartbeat.get())
                let message = try connection.receive(timeout: dead, waitingFor: "heartbeat from the coordinator")
                if case .abort(let a) = message {
                    // Unblock an all-reduce in progress right away.
                    aborted.update { $0[a.generation] = a.reason }
                    ring.closeLinks()
                }
                inbox.push(.success(message))
            } catch {
                // Marks the session over for the step in progress too (`isOver` reads
                // `connection.closed`): a worker thawed after being dropped must not sit out
                // its ring timeouts before it reconnects.
                connection.close()
                inbox.push(.failure(error))
                ring.closeLinks()
                return
            }
        }
    }
}

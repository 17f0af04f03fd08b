/// Removing a member that cannot do its part, so the others train on without it.
extension ClusterCoordinator {
    /// Starts the `bye` reason an evicted worker gets; it stops with it instead of rejoining.
    public static let evictionPrefix = "evicted from the ring: "

    /// A member could not finish an attempt. The member it could not reach is evicted at
    /// once (its ring port is closed to the others: the ring cannot form while it stays);
    /// otherwise the attempt is dropped, and a member whose failure ends two attempts in a
    /// row (no commit between) is evicted. A silent member still goes by the heartbeat timeout.
    func stepFailed(_ f: StepFailed, from id: Int) {
        guard let reporter = members[id] else { return }
        // The report may come just after another member's report dropped the attempt.
        if f.unreachableID != 0, f.unreachableID != id, let suspect = members[f.unreachableID], f.generation >= attempts.generation - 2 {
            evict(suspect.id, "worker \(suspect.name): ring port \(suspect.ring.host):\(suspect.ring.port) unreachable from worker "
                  + "\(reporter.name) (\(f.reason)): open the port or set --ring-listen to an address the other workers can reach")
            return
        }
        guard let flight = attempts.inFlight, flight.step == f.step, flight.generation == f.generation else { return }
        let failures = attempts.failedBy[id, default: 0] + 1
        attempts.failedBy[id] = failures
        if failures >= 2 {
            evict(id, "worker \(reporter.name) (\(reporter.connection.remote)) made step \(f.step) fail twice in a row, last: \(f.reason); "
                  + "check its log, its network and its ring port, then restart it")
            return
        }
        abortStep("\(reporter.name) could not finish: \(f.reason)")
    }

    /// Tells a member why it is removed, then drops it (its attempt in flight is redone without it).
    func evict(_ id: Int, _ message: String) {
        guard let m = members[id] else { return }
        event("evicting \(message)")
        try? m.connection.send(.bye(Self.evictionPrefix + message))
        attempts.failedBy[id] = nil
        drop(id, "evicted")
    }
}

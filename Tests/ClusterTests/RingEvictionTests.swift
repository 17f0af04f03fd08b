import Config
import Foundation
import Testing
@testable import Cluster

/// Issue 19's audit row 3: a worker that authenticated but whose ring port the others
/// cannot reach used to stall training forever (the step dropped and retried every 10 s).
@Suite(.serialized) struct RingEvictionTests {
    @Test(.timeLimit(.minutes(2))) func aWorkerWhoseRingPortIsUnreachableIsEvictedNamingThePortAndTrainingGoesOnWithin30s() throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        // A 1 s heartbeat (5 s of silence drops a worker): the 0.2 s of the other toy tests drops
        // live workers when the full suite loads both cores, and each drop restarts the step.
        let port = try cluster.startCoordinator(minWorkers: 2, adjust: { $0.heartbeatSeconds = 1 })
        cluster.startWorker("lap", port: port)
        let desk = cluster.startWorker("desk", port: port)
        // desk's firewall: its ring port stops accepting as soon as it exists.
        let deadline = Date().addingTimeInterval(10)
        while cluster.workers[desk].handle.ring.get() == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        let deskRing = try #require(cluster.workers[desk].handle.ring.get())
        deskRing.stopListening()
        let start = Date()
        while cluster.workers[0].handle.committedStep.get() < 1 && Date().timeIntervalSince(start) < 60 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let firstCommit = Date().timeIntervalSince(start)
        #expect(firstCommit < 30, "the first step without the unreachable worker took \(firstCommit) s")
        try #require(cluster.waitForEnd(timeout: 90), "\(cluster.transcript.suffix(3000))")
        let log = cluster.transcript
        // Two paths evict desk, both naming it and what to check: lap's failed connect to
        // desk's port (the specific message), or desk's own 10 s wait for lap's link failing
        // twice when its report reaches the coordinator first (seen when the suite loads both
        // cores). Which one wins is a race, still to be removed (the note of issue 19 says so).
        let byPort = log.contains("evicting worker desk: ring port 127.0.0.1:\(deskRing.address.port) unreachable from worker lap")
            && log.contains("open the port or set --ring-listen")
        let byRepeatedFailure = log.contains("evicting worker desk (") && log.contains("made step 1 fail twice in a row")
            && log.contains("its ring port")
        #expect(byPort || byRepeatedFailure, "\(log.suffix(3000))")
        let deskError = cluster.workers[desk].error.get() ?? ""
        #expect(deskError.contains("evicted from the ring") && deskError.contains("ring port"), "desk: \(deskError)")
        #expect(cluster.coordinatorError.get() == nil)
        #expect(cluster.workers[0].handle.committedStep.get() == 6)
        #expect(maxDifference(cluster.workers[0].replica.params, reference) < 2e-5)
    }
}

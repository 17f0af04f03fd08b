import Foundation
import Testing
@testable import Cluster

/// A worker sends its exchange payloads the moment its last micro-batch has made them, so the
/// coordinator's exchange is done while that micro-batch's first pass still runs.
@Suite struct EarlyExchangeTests {
    @Test func theExchangeHappensWhileTheLastFirstPassStillRuns() throws {
        let cluster = ToyCluster()
        // One micro-batch per step on the one worker: every first pass is the step's last.
        let port = try cluster.startCoordinator(microBatch: Toy.batch)
        let exchanges = LockedBox(0)
        cluster.run.onExchange = { exchanges.update { $0 += 1 } }
        let passes = LockedBox(0), early = LockedBox(0)
        let replica = ToyReplica()
        replica.microBatch = Toy.batch
        replica.afterExchangeReady = {
            let pass = passes.update { $0 += 1; return $0 }
            // Exchange number `pass` belongs to this step; wait for it (bounded) inside the pass.
            let deadline = Date().addingTimeInterval(5)
            while exchanges.get() < pass && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
            if exchanges.get() >= pass { early.update { $0 += 1 } }
        }
        cluster.startWorker("w0", port: port, model: replica)
        try #require(cluster.waitForEnd(timeout: 60), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        let steps = Toy.epochLength / Toy.batch * Toy.totalEpochs
        #expect(passes.get() == steps)
        #expect(early.get() == steps, "exchanges done during the pass: \(early.get()) of \(passes.get())")
    }
}

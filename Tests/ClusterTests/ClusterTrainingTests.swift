import Config
import Foundation
import Testing
@testable import Cluster

@Suite(.serialized) struct ClusterTrainingTests {
    static let tolerance: Float = 2e-5

    @Test func slotAllocatorSplitsInProportionToSpeed() {
        #expect(SlotAllocator.split(slots: 4, speeds: [1, 1]) == [2, 2])
        #expect(SlotAllocator.split(slots: 4, speeds: [3, 1]) == [3, 1])
        #expect(SlotAllocator.split(slots: 5, speeds: [1, 1, 1]) == [2, 2, 1])
        #expect(SlotAllocator.split(slots: 1, speeds: [1, 1, 1]) == [1, 0, 0])
        #expect(SlotAllocator.split(slots: 6, speeds: [0, 2, 0]) == [2, 2, 2])
        #expect(SlotAllocator.split(slots: 10, speeds: [10, 1]).reduce(0, +) == 10)
    }

    @Test func scheduleMatchesTheSingleProcessTrainer() {
        let s = StepSchedule(epochLength: 10, batchSize: 4, totalEpochs: 2)
        #expect(s.stepsPerEpoch == 3 && s.totalSteps == 6)
        #expect(s.samples(ofStep: 3) == 8..<10)
        #expect(s.epoch(ofStep: 4) == 2 && s.samples(ofStep: 4) == 0..<4)
        #expect(s.endsEpoch(3) && !s.endsEpoch(4))
    }

    @Test(arguments: [1, 2, 3])
    func clusterRunEqualsSingleProcessTraining(workers: Int) throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: workers)
        for i in 0..<workers { cluster.startWorker("w\(i)", port: port) }
        try #require(cluster.waitForEnd(), "run did not finish:\n\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        for w in cluster.workers {
            #expect(w.handle.committedStep.get() == 6)
            #expect(maxDifference(w.replica.params, reference) < Self.tolerance, "\(w.replica.params) vs \(reference)")
        }
        // Replicas are bit-identical to each other.
        let first = cluster.workers[0].replica.params
        #expect(cluster.workers.allSatisfy { $0.replica.params == first })
        // Checkpoints at steps 2, 4, 6 (every 2 and at epoch ends); validation at each epoch end.
        #expect(cluster.run.validationEpochs == [1, 2, 3])
        #expect(cluster.run.validationResults.count == 9)
        let status = cluster.coordinatorHandle.status.get()
        #expect(status.phase == "finished" && status.step == 6 && status.lossHistory.count == 6)
    }

    @Test func microBatchesDoNotChangeTheResult() throws {
        let reference = try toyReference(microBatch: 1)
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 2, microBatch: 2)
        cluster.startWorker("a", port: port)
        cluster.startWorker("b", port: port)
        try #require(cluster.waitForEnd(), "\(cluster.transcript)")
        #expect(maxDifference(cluster.workers[0].replica.params, reference) < Self.tolerance)
    }

    @Test func workerJoiningMidRunAndWorkerKilledMidStepStillEqualSingleProcess() throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1)
        let joined = LockedBox(false)
        cluster.startWorker("first", port: port) { _, handle in
            let step = handle.committedStep.get()
            // Step 3: a second worker joins (takes slots from a later step).
            if step >= 2 && !joined.get() {
                joined.set(true)
                cluster.startWorker("second", port: port) { _, _ in Thread.sleep(forTimeInterval: 0.02) }
                Thread.sleep(forTimeInterval: 0.5)
            }
            // Step 5: the first worker dies in the middle of its step.
            if step >= 4 && cluster.workers.count > 1 && cluster.workers[1].handle.committedStep.get() >= 4 {
                handle.kill()
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try #require(cluster.waitForEnd(timeout: 40), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        try #require(cluster.workers.count == 2)
        let second = cluster.workers[1]
        #expect(cluster.workers[0].handle.killFlag.get())
        #expect(second.handle.committedStep.get() == 6)
        #expect(maxDifference(second.replica.params, reference) < Self.tolerance, "\(cluster.transcript)")
        let events = cluster.coordinatorHandle.status.get().events.map(\.text)
        #expect(events.contains { $0.contains("second") && $0.contains("joined") })
        #expect(events.contains { $0.contains("first") && $0.contains("left") })
        #expect(events.contains { $0.contains("step 5 dropped everywhere") }, "\(events)")
    }

    @Test func coordinatorRestartedWithResumeContinuesAndEqualsAnUninterruptedRun() throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 2, stopAfterStep: 4)
        cluster.startWorker("a", port: port)
        cluster.startWorker("b", port: port)
        try #require(cluster.coordinatorDone.wait(timeout: .now() + 20) == .success, "\(cluster.transcript)")
        // The workers keep retrying; a new coordinator resumes from the step-4 checkpoint on the same port.
        Thread.sleep(forTimeInterval: 0.3)
        try cluster.startCoordinator(port: port, resume: true, minWorkers: 2)
        try #require(cluster.waitForEnd(timeout: 30), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        #expect(cluster.transcript.contains("resuming toy from its checkpoint at step 4"))
        for w in cluster.workers {
            #expect(w.handle.committedStep.get() == 6)
            #expect(maxDifference(w.replica.params, reference) < Self.tolerance)
        }
    }

    @Test func workerWithWrongTokenIsRefusedAndTheRunGoesOn() throws {
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1)
        cluster.startWorker("intruder", port: port, token: testToken("not-the-cluster-token"))
        cluster.startWorker("good", port: port)
        try #require(cluster.coordinatorDone.wait(timeout: .now() + 20) == .success, "\(cluster.transcript)")
        #expect(cluster.workers[0].done.wait(timeout: .now() + 5) == .success)
        #expect(cluster.workers[0].error.get()?.contains("cluster token") == true)
        #expect(cluster.workers[1].handle.committedStep.get() == 6)
        #expect(cluster.transcript.contains("refused a connection"))
    }
}

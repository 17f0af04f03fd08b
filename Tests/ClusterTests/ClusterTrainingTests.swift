import Config
import Foundation
import Testing
@testable import Cluster
import Hashing

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

    /// The generator part is all-reduced on its own thread during the discriminator pass and
    /// the rest after it; where the parts split (nothing early, part of G, all of G) changes
    /// only which replica sums which floats, never the result.
    @Test(arguments: [0, 3, Toy.d])
    func reducingTheGeneratorGradientsDuringTheDiscriminatorPassDoesNotChangeTheResult(early: Int) throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 2)
        cluster.startWorker("a", port: port, firstPassGradientCount: early)
        cluster.startWorker("b", port: port, firstPassGradientCount: early)
        try #require(cluster.waitForEnd(), "run did not finish:\n\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        for w in cluster.workers {
            #expect(w.handle.committedStep.get() == 6)
            #expect(maxDifference(w.replica.params, reference) < Self.tolerance, "\(w.replica.params) vs \(reference)")
        }
        #expect(cluster.workers[0].replica.params == cluster.workers[1].replica.params)
    }

    @Test func aWorkerThatReachesNoCoordinatorGivesUpAfterItsLimitNamingTheAddress() throws {
        var options = WorkerOptions(coordinator: HostPort(host: "127.0.0.1", port: 1), name: "lonely", threads: 1)
        options.ringListen = HostPort(host: "127.0.0.1", port: 0)
        options.giveUpAfter = 0.4
        options.maxBackoff = 0.1
        let worker = ClusterWorker(options: options, token: testToken(), log: { _ in }) { _ in ToyReplica() }
        let start = Date()
        #expect {
            try worker.run()
        } throws: { error in
            let text = "\(error)"
            return text.contains("gave up after") && text.contains("127.0.0.1:1")
        }
        #expect(Date().timeIntervalSince(start) < 10)
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

    /// `herd bench soak` (a worker SIGKILLed every 120 s) stopped the run for good at the first
    /// kill: the send of a step plan to the dead worker failed, which dropped it and aborted the
    /// attempt, and the members after it in the ring were then sent a plan of the next
    /// generation that the coordinator did not track; they waited for its exchange forever.
    /// Here the connection to "b" breaks exactly while step 5 is being planned.
    @Test func aMemberLostWhileItsPlanIsSentDoesNotStopTheRun() throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        let broken = LockedBox(false)
        let port = try cluster.startCoordinator(minWorkers: 3) { options in
            options.speedsForStep = { step, names in
                // On the coordinator thread, inside plan(): "b" is planned after "a", before "c".
                guard step == 5, names == ["a", "b", "c"], !broken.update({ done in defer { done = true }; return done }) else { return nil }
                cluster.coordinator?.members.values.first { $0.name == "b" }?.connection.close()
                return nil
            }
        }
        cluster.startWorker("a", port: port)
        Thread.sleep(forTimeInterval: 0.3)   // ring order = join order: a, b, c
        cluster.startWorker("b", port: port)
        Thread.sleep(forTimeInterval: 0.3)
        cluster.startWorker("c", port: port)
        try #require(cluster.waitForEnd(timeout: 60), "the run stopped after b was lost mid-plan\n\(cluster.transcript)")
        #expect(broken.get(), "the connection was broken during step 5's plan\n\(cluster.transcript)")
        #expect(cluster.transcript.contains("worker b left"), "\(cluster.transcript)")
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
            // Files received before the restart were kept: none arrived twice.
            let received = w.handle.filesReceived.get()
            #expect(!received.isEmpty && received.values.allSatisfy { $0 == 1 }, "\(received.values.sorted())")
        }
    }

    @Test func eachFileCrossesTheNetworkOncePerWorkerOverAMultiEpochRun() throws {
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 2)
        cluster.startWorker("a", port: port)
        cluster.startWorker("b", port: port)
        try #require(cluster.waitForEnd(), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        // 3 epochs x 8 samples use the 5 images over and over (and 3 validation images each epoch).
        let dataset = Set((0..<Toy.datasetSize).map { SHA256.hash(Toy.image($0)) })
        for w in cluster.workers {
            let received = w.handle.filesReceived.get()
            #expect(received.values.allSatisfy { $0 == 1 }, "\(received.values.sorted())")
            #expect(received.count <= Toy.datasetSize + 3)
        }
        // The coordinator served each file at most once per worker, though 24 samples used them.
        let served = cluster.run.served
        #expect(Set(served.keys).isSuperset(of: dataset))
        #expect(served.values.allSatisfy { $0 <= 2 }, "\(served.values.sorted())")
        #expect(served.values.reduce(0, +) <= 2 * (Toy.datasetSize + 3))
    }

    @Test func aWorkerWhoseFileCacheHoldsOneFileAsksAgainAndStillEqualsSingleProcess() throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1)
        cluster.startWorker("small", port: port, fileCacheBytes: Toy.d)   // one toy image fits
        try #require(cluster.waitForEnd(), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        let w = cluster.workers[0]
        #expect(w.handle.committedStep.get() == 6)
        #expect(maxDifference(w.replica.params, reference) < Self.tolerance)
        // Evicted files were asked for again.
        #expect(w.handle.filesReceived.get().values.contains { $0 > 1 })
    }

    @Test func progressLinesAreThrottledButEveryEpochEndIsShown() throws {
        let cluster = ToyCluster()
        // No two lines within an hour, except the forced ones: the first step, epoch ends (2, 4) and the final step (6).
        let port = try cluster.startCoordinator(minWorkers: 1, progressInterval: 3600)
        cluster.startWorker("a", port: port)
        try #require(cluster.waitForEnd(), "\(cluster.transcript)")
        let lines = cluster.logs.get().filter { $0.hasPrefix("[coordinator] epoch ") }
        #expect(lines.map { String(($0.components(separatedBy: " step ").last ?? "").prefix(3)) } == ["1/6", "2/6", "4/6", "6/6"], "\(lines)")
        // --log-json is not throttled: one line per committed step.
        let steps = cluster.jsonLines.get().compactMap { StepLogLine.parse($0) }.filter { $0.type == "step" }.map(\.step)
        #expect(steps == [1, 2, 3, 4, 5, 6])
    }

    /// The run configuration is checked on arrival: a worker that cannot read it (here a
    /// field of the wrong type) stops with an error naming where it came from and the field.
    @Test func aWorkerGivenARunConfigurationItCannotReadStopsNamingTheCoordinatorAndTheField() throws {
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1, configJSON: Array(#"{"name": 5}"#.utf8))
        defer { cluster.coordinatorHandle.stop() }
        cluster.startWorker("a", port: port)
        let worker = try #require(cluster.workers.first)
        #expect(worker.done.wait(timeout: .now() + 15) == .success, "\(cluster.transcript)")
        let error = worker.error.get() ?? ""
        #expect(error.contains("the run configuration from the coordinator at 127.0.0.1:\(port)"), "\(error)")
        #expect(error.contains("name"), "\(error)")
    }

    /// A worker's share is its part of its last step's slots: an epoch's short last step (2 of
    /// batch 3 here) is all the lone worker's too (it used to read 67%, 2 of the full batch).
    @Test func aWorkersShareInTheProgressLineIsItsPartOfItsLastStep() throws {
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1, progressInterval: 3600, batchSize: 3)
        cluster.startWorker("a", port: port)
        try #require(cluster.waitForEnd(), "\(cluster.transcript)")
        let lines = cluster.logs.get().filter { $0.hasPrefix("[coordinator] epoch ") }
        // The first step and the epoch ends (3, 6, 9): the short steps are the epoch ends.
        #expect(lines.count == 4, "\(lines)")
        for line in lines { #expect(line.contains("workers: a 100% "), "\(line)") }
    }

    @Test func logJSONHasOneLinePerStepWithThatStepsFiguresAndEventsAsTheyHappen() throws {
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1)
        cluster.startWorker("a", port: port)
        try #require(cluster.waitForEnd(), "\(cluster.transcript)")
        let lines = cluster.jsonLines.get().compactMap { StepLogLine.parse($0) }
        #expect(lines.count == cluster.jsonLines.get().count, "every line parses")
        let steps = lines.filter { $0.type == "step" }
        #expect(steps.map(\.step) == Array(1...6))
        for line in steps {
            #expect(line.losses?.count == 2)
            #expect(line.workers?.map(\.name) == ["a"])
            #expect(line.workers?.first?.slots == Toy.batch)
        }
        let events = lines.filter { $0.type == "event" }.compactMap(\.text)
        #expect(events.contains { $0.hasPrefix("worker a joined") }, "\(events)")
        #expect(events.contains { $0.hasPrefix("checkpoint at step 2") }, "\(events)")
        // Synthetic steps 10 and 10,000 through the coordinator's own line builder: same size.
        let coordinator = try ClusterCoordinator(
            options: CoordinatorOptions(runName: "toy", listen: HostPort(host: "127.0.0.1", port: 0), minWorkers: 1, batchSize: Toy.batch,
                                        heartbeatSeconds: 1, checksumEverySteps: 0, checkpointEverySteps: 0, validationEveryEpochs: 1,
                                        resume: false, configJSON: Toy.config()),
            model: ToyRun(directory: cluster.directory + "/synthetic"), token: cluster.token, log: { _ in })
        func line(step: Int) -> String {
            var f = ClusterCoordinator.StepInFlight(step: step, generation: 1, epoch: 1 + step / 100, learningRate: 2e-4, ring: [1, 2],
                                                    slotsOf: [1: [0, 1], 2: [2, 3]], tickets: [], exchangeBefore: 0,
                                                    startedAt: Date().addingTimeInterval(-1.5))
            for id in [1, 2] {
                f.reduced[id] = Reduced(step: step, generation: 1, gradientCRC: 7, losses: [0.123456789, 0.5], computeSeconds: 1.2345678,
                                        reduceSeconds: 0.0456789, reduceWaitSeconds: 0.0123456)
            }
            return coordinator.stepLogLine(f, losses: [0.246913578, 1.0], rate: 3.2109876, elapsed: Double(step) * 1.2345678,
                                           reduce: 0.0456789, wait: 0.0123456).json
        }
        let early = line(step: 10), late = line(step: 10_000)
        #expect(StepLogLine.parse(late)?.step == 10_000)
        #expect(abs(late.count - early.count) <= 16, "\(early)\n\(late)")
    }

    @Test func progressThrottleAllowsOneLinePerIntervalAndForcedLines() {
        var throttle = ProgressThrottle(interval: 1)
        let t0 = Date(timeIntervalSince1970: 1000)
        let shown = [0.0, 0.1, 0.5, 0.99, 1.0, 1.2, 1.3, 2.5].map { throttle.shouldShow(at: t0.addingTimeInterval($0), force: false) }
        #expect(shown == [true, false, false, false, true, false, false, true])
        let forced = throttle.shouldShow(at: t0.addingTimeInterval(2.6), force: true)
        #expect(forced, "epoch ends are always shown")
        let soonAfter = throttle.shouldShow(at: t0.addingTimeInterval(3.0), force: false)
        #expect(!soonAfter, "the interval counts from the forced line")
        let later = throttle.shouldShow(at: t0.addingTimeInterval(3.6), force: false)
        #expect(later)
    }

    @Test func contentCacheEvictsTheLeastRecentlyUsedByBytes() {
        var cache = ContentCache<String>(capacity: 100)
        let keys = (0..<5).map { SHA256.hash([UInt8($0)]) }
        cache.insert("a", cost: 40, for: keys[0])
        cache.insert("b", cost: 40, for: keys[1])
        let a = cache.value(keys[0])   // a is now more recent than b
        #expect(a == "a")
        cache.insert("c", cost: 40, for: keys[2])   // 120 > 100: b goes
        #expect(cache.contains(keys[0]) && !cache.contains(keys[1]) && cache.contains(keys[2]))
        #expect(cache.totalCost == 80 && cache.count == 2)
        let keptHuge = cache.insert("huge", cost: 101, for: keys[3])
        #expect(!keptHuge, "larger than the whole cache: not kept")
        #expect(!cache.contains(keys[3]) && cache.totalCost == 80)
        cache.insert("c2", cost: 10, for: keys[2])   // replacing counts the new cost only
        let c2 = cache.value(keys[2])
        #expect(cache.totalCost == 50 && c2 == "c2")
        // Many touches do not grow it, and the order still holds.
        for _ in 0..<1000 { _ = cache.value(keys[0]) }
        cache.insert("d", cost: 60, for: keys[4])   // 110 > 100: c2 (least recent) goes
        #expect(cache.contains(keys[0]) && !cache.contains(keys[2]) && cache.contains(keys[4]))
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

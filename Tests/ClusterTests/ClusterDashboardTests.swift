import Dashboard
import Foundation
import Testing
@testable import Cluster
@testable import ClusterCLI

@Suite struct ClusterDashboardTests {
    @Test func lossTermsAreMappedByNameWithGeneratorTotal() throws {
        let names = ["G_gan_AB", "G_gan_BA", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B"]
        let values = try #require(ClusterDashboard.lossValues(names: names, values: [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(values.values == [1, 2, 3, 4, 5, 6, 21, 7, 8])
        #expect(ClusterDashboard.lossValues(names: ["D_A"], values: [1]) == nil)
        #expect(ClusterDashboard.lossValues(names: names, values: [1]) == nil)
    }

    @Test func statusIsCopiedWithEpochAndStepInEpoch() {
        var cluster = ClusterStatus()
        cluster.run = "demo"
        cluster.phase = "training"
        cluster.totalEpochs = 4
        cluster.totalSteps = 120
        cluster.step = 31
        cluster.workers = [ClusterStatus.Worker(id: 2, name: "w1", address: "127.0.0.1:1", state: "training", slots: 3,
                                                share: 0.75, stepSeconds: 0.2, allReduceSeconds: 0.01, sendMBps: 1, receiveMBps: 2)]
        var status = DashboardStatus()
        let joined = Date(timeIntervalSince1970: 1000)
        ClusterDashboard.copy(cluster, into: &status, joined: [2: joined])
        #expect(status.phase == .training)
        #expect(status.epoch == 2)
        #expect(status.stepInEpoch == 1)
        #expect(status.stepsPerEpoch == 30)
        #expect(status.workers.first?.batchShare == 3)
        #expect(status.workers.first?.state == .active)
        #expect(status.workers.first?.joinedAt == joined)
    }

    @Test func eventsAreClassifiedByWhatHappened() {
        let now = Date()
        func kind(_ text: String) -> EventKind { ClusterDashboard.event(ClusterStatus.Event(time: 0, text: text), at: now).kind }
        #expect(kind("worker w3 joined from 127.0.0.1:5 (id 4, 1 threads)") == .join)
        #expect(kind("worker w1 left: connection closed") == .leave)
        #expect(kind("step 5 dropped everywhere (w1 left); redoing it") == .failure)
        #expect(kind("checkpoint at step 60: checkpoints/demo/step-000000060") == .checkpoint)
        #expect(kind("validation images of epoch 2 in checkpoints/demo/val/epoch_002") == .epoch)
    }
}

import Testing
@testable import CycleGAN

@Suite struct LearningRateScheduleTests {
    @Test func everyEpochOfTheDefault200EpochScheduleFollowsTheFormula() {
        let schedule = LearningRateSchedule(baseRate: 2e-4, nEpochs: 100, nEpochsDecay: 100)
        #expect(schedule.totalEpochs == 200)
        for epoch in 1...200 {
            // Constant for 100 epochs, then (101 - k)/101 of the base in decay epoch k = 1...100.
            let expected = epoch <= 100 ? 2e-4 : 2e-4 * Double(101 - (epoch - 100)) / 101
            #expect(abs(schedule.rate(epoch: epoch) - expected) <= 1e-18, "epoch \(epoch)")
        }
        #expect(schedule.rate(epoch: 100) == 2e-4)
        #expect(abs(schedule.rate(epoch: 101) - 2e-4 * 100 / 101) < 1e-18)
        #expect(abs(schedule.rate(epoch: 200) - 2e-4 / 101) < 1e-18)
        #expect(schedule.rate(epoch: 200) > 0)
    }

    @Test func shortSchedulesDecayToo() {
        let schedule = LearningRateSchedule(baseRate: 1, nEpochs: 1, nEpochsDecay: 1)
        #expect(schedule.rate(epoch: 1) == 1)
        #expect(schedule.rate(epoch: 2) == 0.5)
    }
}

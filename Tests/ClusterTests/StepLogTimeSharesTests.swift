import Testing
@testable import Cluster

@Suite struct StepLogTimeSharesTests {
    private func step(_ n: Int, seconds: Double, _ workers: [(slots: Int, compute: Double)]) -> StepLogLine {
        StepLogLine(time: Double(n), step: n, epoch: 1, learningRate: 2e-4, samples: 4, samplesPerSecond: 1, trainingSeconds: Double(n),
                    stepSeconds: seconds, allReduceSeconds: 0, allReduceWaitSeconds: 0, lossNames: [], losses: [],
                    workers: workers.enumerated().map { StepLogLine.Worker(id: $0.offset, name: "w\($0.offset)", slots: $0.element.slots,
                                                                           computeSeconds: $0.element.compute, reduceSeconds: 0, waitSeconds: 0) })
    }

    @Test func computePerSampleAndTimeBeyondTheSlowestWorkerAreAveragedOverSteps() throws {
        let lines = [
            step(1, seconds: 10, [(2, 8), (2, 9)]),            // per sample 4 and 4.5; 1 s beyond the slowest
            StepLogLine(time: 1.5, step: 1, event: "worker w2 joined"),
            step(2, seconds: 7.5, [(3, 6), (1, 2), (0, 0)]),    // per sample 2 and 2 (the idle one is left out); 1.5 s beyond
        ]
        let shares = try #require(StepLogLine.timeShares(lines))
        #expect(abs(shares.computePerSample - (4 + 4.5 + 2 + 2) / 4) < 1e-12)
        #expect(abs(shares.beyondCompute - 1.25) < 1e-12)
    }

    @Test func linesWithoutWorkerFiguresGiveNoShares() {
        #expect(StepLogLine.timeShares([StepLogLine(time: 0, step: 0, event: "listening")]) == nil)
        #expect(StepLogLine.timeShares([]) == nil)
    }
}

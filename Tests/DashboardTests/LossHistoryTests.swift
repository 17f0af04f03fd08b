import Testing
@testable import Dashboard

@Suite struct LossHistoryTests {
    private func losses(_ v: Double) -> LossValues {
        LossValues(gGanAB: v, gGanBA: 2 * v, cycleA: 3 * v, cycleB: 4 * v, idtA: 5 * v, idtB: 6 * v, g: 7 * v, dA: 8 * v, dB: 9 * v)
    }

    @Test func shortHistoriesKeepEveryStep() {
        var history = LossHistory(capacity: 8)
        for step in 1...5 { history.append(step: step, losses: losses(Double(step))) }
        #expect(history.points.map(\.step) == [1, 2, 3, 4, 5])
        #expect(history.points[2].losses.cycleB == 12)
        #expect(history.stride == 1)
        #expect(history.latest?.step == 5)
    }

    @Test func longHistoriesStayBoundedAndAverageExactly() {
        var history = LossHistory(capacity: 16)
        let steps = 1000
        for step in 1...steps { history.append(step: step, losses: losses(Double(step))) }
        let points = history.points
        #expect(points.count <= 16 + 1)
        #expect(history.stride == 64)
        #expect(history.stepCount == steps)
        #expect(points.last?.step == steps)
        #expect(history.latest?.losses.gGanAB == Double(steps))
        // Each point is the mean of the steps it covers: for values equal to
        // the step number that is the middle of its step range.
        var first = 1
        for p in points {
            let mean = Double(first + p.step) / 2
            #expect(abs(p.losses.gGanAB - mean) < 1e-9, "point ending at \(p.step)")
            #expect(abs(p.losses.dB - 9 * mean) < 1e-9)
            first = p.step + 1
        }
    }

    @Test func lossValuesByName() {
        let v = losses(1)
        #expect(LossValues.names.map { v[$0] ?? -1 } == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(v["nope"] == nil)
        #expect(LossValues([1, 2]) == nil)
    }
}

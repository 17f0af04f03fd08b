import Foundation
import Testing
@testable import Dashboard

@Suite struct DashboardPageTests {
    @Test func thePageHasACurvePerLossTermAndARowPerWorker() throws {
        let dir = try TemporaryDirectory("page")
        defer { dir.cleanup() }
        for epoch in 1...3 {
            try dir.write("epoch_00\(epoch)/A_real.png", fakePNG("x"))
            try dir.write("epoch_00\(epoch)/A_fake.png", fakePNG("x"))
        }
        let html = Dashboard(status: sampleStatus(), valDirectory: dir.path).pageHTML()
        #expect(html.components(separatedBy: "<svg class=\"chart\"").count - 1 == 9)
        // Each curve: the raw points faint behind, the smoothed trend on top.
        #expect(html.components(separatedBy: "<polyline class=\"raw\"").count - 1 == 9)
        #expect(html.components(separatedBy: "<polyline class=\"smooth\"").count - 1 == 9)
        for term in LossValues.names { #expect(html.contains("<title>\(term) loss per step</title>")) }
        #expect(html.components(separatedBy: "<tr class=\"worker ").count - 1 == 3)
        #expect(html.contains("<td>node-a</td>"))
        #expect(html.contains("10.0.0.3:40022"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert(1)"))
        #expect(html.contains("3 h 12 min"))
        #expect(html.contains("width:0.56%"))  // (1 * 1067 + 133) / (200 * 1067)
        #expect(html.contains("<h3>Epoch 3</h3>"))
        #expect(html.contains("src=\"val/epoch_003/A_fake.png\""))
        #expect(html.contains("src=\"val/epoch_001/A_real.png\""))
        #expect(html.contains("node-c stopped answering"))
        #expect(html.contains("fetch('api/status'"))
        #expect(!html.contains("http://") && !html.contains("https://"), "no external resources")
    }

    @Test func snapshotsAreStatic() {
        let html = Dashboard(status: sampleStatus(steps: 20)).snapshotHTML()
        #expect(!html.contains("<script"))
        #expect(html.contains("snapshot"))
        #expect(html.contains("<polyline"))
    }

    @Test func anEmptyStatusRendersPlaceholders() {
        let html = Dashboard().pageHTML()
        #expect(html.contains("no steps yet"))
        #expect(html.contains("No workers yet."))
        #expect(html.contains("No validation images yet."))
        #expect(!html.contains("<polyline"))
    }

    @Test func nonFiniteLossesLeaveGapsNotBrokenPaths() {
        var status = DashboardStatus()
        for step in 1...10 {
            let v = step == 5 ? Double.nan : Double(step)
            status.losses.append(step: step, losses: LossValues(gGanAB: v, gGanBA: v, cycleA: v, cycleB: v, idtA: v, idtB: v, g: v, dA: v, dB: v))
        }
        let html = Dashboard(status: status).pageHTML()
        // Two segments per chart, raw and smoothed (10 points are enough to smooth).
        #expect(html.components(separatedBy: "<polyline class=\"raw\"").count - 1 == 18)
        #expect(html.components(separatedBy: "<polyline class=\"smooth\"").count - 1 == 18)
        #expect(!html.lowercased().contains("nan,") && !html.contains(",nan"))
    }

    @Test func smoothingFollowsTheTrendAndSkipsNonFiniteValues() {
        let noisy = (0..<100).map { Double($0) + ($0 % 2 == 0 ? 5 : -5) }
        let smooth = LossChart.smoothed(noisy)
        #expect(smooth.count == noisy.count)
        // The alternating ±5 noise is damped, the rising trend kept.
        let wiggle = zip(smooth.dropFirst(50), smooth.dropFirst(51)).map { abs($1 - $0 - 1) }.max() ?? 99
        #expect(wiggle < 4)
        #expect(smooth[99] > 80 && smooth[99] < 100)
        let gap = LossChart.smoothed([1, 2, .nan, 4])
        #expect(gap[2].isNaN && gap[3].isFinite)
    }

    @Test func theLearningRateHasOneFormatAcrossItsDecay() {
        var status = sampleStatus(steps: 5)
        var shown: [String] = []
        for rate in [2e-4, 1e-3, 4.29e-4, 1.5e-5] {
            status.learningRate = rate
            let html = Dashboard(status: status).pageHTML()
            let after = html.components(separatedBy: "learning rate</span><span class=\"value\">").last ?? ""
            shown.append(String(after.prefix { $0 != "<" }))
        }
        #expect(shown == ["2e-4", "1e-3", "4.29e-4", "1.5e-5"])
    }

    @Test func theGridIsALinkNotATileInTheThumbnails() throws {
        let dir = try TemporaryDirectory("grid")
        defer { dir.cleanup() }
        try dir.write("epoch_001/A_real.png", fakePNG("x"))
        try dir.write("epoch_001/grid.png", fakePNG("x"))
        try dir.write("epoch_002/A_real.png", fakePNG("x"))
        try dir.write("epoch_002/grid.png", fakePNG("x"))
        let html = Dashboard(status: sampleStatus(steps: 5), valDirectory: dir.path).pageHTML()
        #expect(!html.contains("src=\"val/epoch_002/grid.png\"") && !html.contains("src=\"val/epoch_001/grid.png\""))
        #expect(html.contains("<a href=\"val/epoch_002/grid.png\">"))
        #expect(html.contains("src=\"val/epoch_001/A_real.png\""))
    }
}

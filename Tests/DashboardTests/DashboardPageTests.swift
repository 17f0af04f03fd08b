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
        #expect(html.components(separatedBy: "<polyline").count - 1 == 9)
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
        #expect(html.components(separatedBy: "<polyline").count - 1 == 18)  // two segments per chart
        #expect(!html.lowercased().contains("nan,") && !html.contains(",nan"))
    }
}

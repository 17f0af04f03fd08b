import Foundation
import Testing
@testable import Cluster

@Suite struct HeartbeatPolicyTests {
    /// README ("heartbeats notice within 4 s") and cluster.yaml ("never more than 4 s") state
    /// the code's bound: 5 missed heartbeats, capped at `maximumSilence`.
    @Test func aPeerIsDeadAfterFiveMissedBeatsAndNeverMoreThanFourSecondsOfSilence() throws {
        #expect(HeartbeatPolicy.maximumSilence == 4)
        for interval in [0.05, 0.2, 0.5, 0.8, 1, 2, 10, 60] {
            let dead = HeartbeatPolicy.deadAfter(interval: interval)
            #expect(dead <= 4 && dead == min(4, 5 * interval), "interval \(interval): \(dead)")
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let yaml = try String(contentsOf: root.appendingPathComponent("cluster.yaml"), encoding: .utf8)
        #expect(readme.contains("heartbeats notice within 4 s"))
        // The comment's words, whatever its line breaks.
        let comments = yaml.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("#") }.map { $0.dropFirst().trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(comments.contains("never more than 4 s, is dead"))
    }
}

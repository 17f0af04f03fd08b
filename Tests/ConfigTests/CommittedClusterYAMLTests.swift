import Foundation
import Testing
@testable import Config

/// The `cluster.yaml` committed at the repository root.
@Suite struct CommittedClusterYAMLTests {
    static let path: String = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.appendingPathComponent("cluster.yaml").path
            }
            dir.deleteLastPathComponent()
        }
        return "cluster.yaml"
    }()

    @Test func loadsWithThePapersSettingsAndAGlobalBatchOfFour() throws {
        let config = try RunConfig.load(path: Self.path)
        var expected = RunConfig()
        expected.training.batchSize = 4
        #expect(config == expected)
        #expect(config.data.root == "datasets/horse2zebra")
        #expect(config.dashboard.listen == "127.0.0.1:8080")
    }

    @Test func writesEveryKeyExplicitlyWithAComment() throws {
        let document = try RunConfig.loadDocument(path: Self.path)
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for setting in RunConfig().settings {
            let at = try #require(document.locations[setting.key], "cluster.yaml lacks \(setting.key)")
            // The line above each key is a comment (keys sharing one comment are adjacent).
            var above = at.line - 2
            while above >= 0, !lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("#"),
                  lines[above].contains(":"), !lines[above].hasSuffix(":") { above -= 1 }
            #expect(above >= 0 && lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("#"),
                    "\(setting.key) on line \(at.line) has no comment")
        }
    }
}

import Foundation
import Testing
@testable import Config

/// The two named settings committed beside `cluster.yaml`, which the README's training section opens with.
@Suite struct CommittedSettingsTests {
    static func load(_ name: String) throws -> RunConfig {
        try RunConfig.load(path: (CommittedClusterYAMLTests.path as NSString).deletingLastPathComponent + "/" + name)
    }

    @Test func quickIsASmallResSixModelOnSmallCropsForTenEpochs() throws {
        let config = try Self.load("quick.yaml")
        try config.validate()
        #expect(config.name == "horse2zebra-quick")
        #expect(config.model.nBlocks == 6 && config.model.ngf == 64 && config.model.ndf == 64)
        #expect(config.data.loadSize == 72 && config.data.cropSize == 64)
        #expect(config.training.batchSize == 1 && config.training.nEpochs + config.training.nEpochsDecay == 10)
        #expect(config.training.lr == 0.0002 && config.training.lambdaCycle == 10 && config.training.poolSize == 50)
    }

    @Test func paperIsTheCycleGANPapersSetting() throws {
        let config = try Self.load("paper.yaml")
        try config.validate()
        var expected = RunConfig()
        expected.name = "horse2zebra-paper"
        #expect(config == expected, "the defaults are the paper's; paper.yaml only renames the run")
        #expect(config.model.nBlocks == 9 && config.data.cropSize == 256 && config.training.batchSize == 1)
        #expect(config.training.nEpochs == 100 && config.training.nEpochsDecay == 100)
    }

    @Test func paperCommentStatesTheWorkRatio() throws {
        let root = (CommittedClusterYAMLTests.path as NSString).deletingLastPathComponent
        #expect(try String(contentsOfFile: root + "/paper.yaml", encoding: .utf8)
            .contains("about 450 times the quick setting's convolution work"))
    }

    @Test func readmeTrainingSectionOpensWithPlanAndBothSettings() throws {
        let root = (CommittedClusterYAMLTests.path as NSString).deletingLastPathComponent
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        guard let section = readme.range(of: "## Training horse2zebra on one machine") else {
            Issue.record("no training section"); return
        }
        let opening = String(readme[section.upperBound...].prefix(1600))
        for text in ["herd plan --config quick.yaml", "herd plan --config paper.yaml", "res-6", "res-9"] {
            #expect(opening.contains(text), "the training section's opening lacks \(text)")
        }
    }
}

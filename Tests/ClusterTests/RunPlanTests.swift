import Cluster
import Config
import CycleGAN
import Foundation
import Testing
@testable import CycleGANCluster

/// `herd plan`'s arithmetic with injected step times (no timing in tests).
@Suite struct RunPlanTests {
    static func paperConfig() -> RunConfig {
        var config = RunConfig()
        config.training.batchSize = 4
        config.training.microBatch = 1
        return config
    }

    @Test func parameterCountsAreTheBuiltModelsCounts() throws {
        var model = ModelConfig()
        model.nBlocks = 2; model.ngf = 4; model.ndf = 3
        let built = try CycleGANModel(architecture: model, seed: 1)
        let counts = RunPlan.parameterCounts(model)
        #expect(counts.generators == built.generators.count)
        #expect(counts.discriminators == built.discriminators.count)
    }

    @Test func epochAndRunTimesFollowTheStepTimeAndTheSchedule() {
        let plan = RunPlan(config: Self.paperConfig(), stepSeconds: 10, epochLength: 1334)
        #expect(plan.stepsPerEpoch == 334)  // 1334 / 4, the last batch smaller
        #expect(plan.epochs == 200)
        #expect(plan.totalSteps == 66_800)
        #expect(plan.epochSeconds == 3340)
        #expect(plan.runSeconds == 668_000)
        #expect(RunPlan.duration(plan.runSeconds) == "7.7 days")
        #expect(RunPlan.duration(plan.epochSeconds) == "56 min")
        #expect(RunPlan.duration(3 * 3600) == "3.0 h")
    }

    @Test func clusterProjectionSplitsComputeAndChargesTheAllReduceOnTheLink() {
        let plan = RunPlan(stepSeconds: 8, epochLength: 100, batchSize: 4, microBatch: 1, epochs: 10,
                           generatorParameters: 10_000_000, discriminatorParameters: 5_000_000, discriminatorShare: 0.25)
        let link = 125e6  // 1 Gbit/s
        let one = plan.cluster(machines: 1, linkBytesPerSecond: link)
        #expect(one == RunPlan.Cluster(machines: 1, share: 4, computeSeconds: 8, linkBytes: 0, allReduceSeconds: 0,
                                       hiddenSeconds: 0, stepSeconds: 8))
        // Two machines: 2 samples each; the gradient (60 MB) crosses the busiest link once.
        let two = plan.cluster(machines: 2, linkBytesPerSecond: link)
        #expect(two.share == 2 && two.computeSeconds == 4)
        #expect(two.linkBytes == 60e6)
        #expect(abs(two.allReduceSeconds - 0.48) < 1e-12)
        // The generators' 40 MB (0.32 s) hide behind the discriminator passes' 25% of 4 s.
        #expect(abs(two.hiddenSeconds - 0.32) < 1e-12)
        #expect(abs(two.stepSeconds - 4.16) < 1e-12)
        // Three machines: ceil(4/3) = 2 samples for the busiest; the busiest link carries it twice.
        let three = plan.cluster(machines: 3, linkBytesPerSecond: link)
        #expect(three.share == 2 && three.linkBytes == 120e6)
        #expect(abs(three.allReduceSeconds - 0.96) < 1e-12)
        #expect(abs(three.hiddenSeconds - 0.64) < 1e-12)  // min(0.64 s of G, 1 s of D passes)
        #expect(abs(three.stepSeconds - 4.32) < 1e-12)
        // A slow link: the overlap is capped by the discriminator passes.
        let slow = plan.cluster(machines: 2, linkBytesPerSecond: 12.5e6)
        #expect(abs(slow.hiddenSeconds - 1) < 1e-12 && abs(slow.stepSeconds - (4 + 4.8 - 1)) < 1e-9)
    }

    @Test func splitsAreWholeMicroBatches() {
        let plan = RunPlan(stepSeconds: 8, epochLength: 100, batchSize: 8, microBatch: 4, epochs: 1,
                           generatorParameters: 1, discriminatorParameters: 1, discriminatorShare: 0.25)
        #expect(plan.cluster(machines: 3, linkBytesPerSecond: 1e9).share == 4)
        let single = RunPlan(stepSeconds: 8, epochLength: 100, batchSize: 1, microBatch: 1, epochs: 1,
                             generatorParameters: 1, discriminatorParameters: 1, discriminatorShare: 0.25)
        #expect(single.cluster(machines: 4, linkBytesPerSecond: 1e9).share == 1)
    }

    /// The README's "Disk a run needs" figures are the ones `herd plan` prints.
    @Test func diskFootprintMatchesTheReadme() throws {
        let config = Self.paperConfig()
        let f = RunPlan.footprint(config, images: 2401)
        #expect(RunPlan.bytes(f.checkpointBytes) == "418 MB")
        #expect(f.checkpointsOnDisk == 4)
        #expect(RunPlan.bytes(f.validationBytesPerEpoch) == "9.4 MB")
        #expect(f.validatedEpochs == 200)
        #expect(f.imageCacheBytes == 2401 * 286 * 286 * 3)
        var sparse = config
        sparse.validation.everyEpochs = 3
        #expect(RunPlan.footprint(sparse, images: 0).validatedEpochs == 67)  // 66 multiples of 3, and the last
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
            .replacingOccurrences(of: "\n", with: " ")
        #expect(readme.contains("about 418 MB at res-9 256 px"))
        #expect(readme.contains("(keep + 1) x the checkpoint size"))
        #expect(readme.contains("at most 9.4 MB per epoch at 256 px"))
    }

    @Test func reportNamesEveryFigure() {
        let config = Self.paperConfig()
        let plan = RunPlan(config: config, stepSeconds: 12, epochLength: 1334)
        let text = plan.report(config: config, timedSteps: 1, threads: 2, peakBytes: 900_000_000, images: 2401,
                               machines: 2, link: "1gbit", linkBytesPerSecond: 125e6).joined(separator: "\n")
        for field in ["12.00 s/step", "1 timed step", "a reduced count", "peak memory 900 MB", "one epoch: 334 steps",
                      "66800 steps over 200 epochs", "disk: checkpoints 418 MB x 4", "per epoch x 200",
                      "2 machines like this one on 1gbit (1000 Mbit/s)", "the busiest computes 2 of 4 samples",
                      "all-reduce: 113 MB of gradients", "overlap the discriminator passes", "for the whole run"] {
            #expect(text.contains(field), "missing \(field) in:\n\(text)")
        }
        let start = RunPlan.startLine(config: config, epochLength: 1334)
        #expect(start.contains("334 steps per epoch x 200 epochs = 66800 steps"))
        #expect(start.contains("not timed at start-up"))
    }

    /// paper.yaml's comment: "about 450 times the quick setting's convolution work".
    @Test func paperSettingIsAbout450QuickRunsOfWork() {
        var quick = RunConfig(), paper = RunConfig()
        quick.model.nBlocks = 6; quick.data.loadSize = 72; quick.data.cropSize = 64
        quick.training.nEpochs = 5; quick.training.nEpochsDecay = 5
        func work(_ c: RunConfig) -> Double {
            FlopCount.trainingStep(c.model, size: c.data.cropSize, batch: 1) * Double(c.training.nEpochs + c.training.nEpochsDecay)
        }
        let ratio = work(paper) / work(quick)
        #expect(ratio > 425 && ratio < 475, "\(ratio)")
        paper.training.batchSize = 1
        #expect(RunPlan.discriminatorShare(paper) > 0.03 && RunPlan.discriminatorShare(paper) < 0.05)
    }

    @Test func linkRatesParse() {
        #expect(RunPlan.parseLink("1gbit") == 125e6)
        #expect(RunPlan.parseLink("100mbit") == 12.5e6)
        #expect(RunPlan.parseLink("2.5Gbit/s") == 312.5e6)
        #expect(RunPlan.parseLink("1000") == 125e6)
        #expect(RunPlan.parseLink("fast") == nil)
        #expect(RunPlan.parseLink("0gbit") == nil)
    }
}

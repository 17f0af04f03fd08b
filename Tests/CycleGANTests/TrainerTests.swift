import Config
import Datasets
import Foundation
import Imaging
import Testing
@testable import CycleGAN

@Suite struct TrainerTests {
    static func noiseImage(side: Int, seed: UInt64) -> Image {
        var random = SplitMix64(seed: seed)
        return Image(width: side, height: side, channels: 3, bitDepth: 8,
                     pixels: (0..<(3 * side * side)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    }

    static func config(directory: String, everySteps: Int = 0) -> RunConfig {
        var config = RunConfig()
        config.name = "tiny"
        config.model = TestSupport.tinyModel()
        config.data.loadSize = 36
        config.data.cropSize = 32
        config.training.batchSize = 2
        config.training.microBatch = 1
        config.training.nEpochs = 1
        config.training.nEpochsDecay = 1
        config.training.poolSize = 2
        config.training.seed = 77
        config.checkpoint.directory = directory
        config.checkpoint.everySteps = everySteps
        config.checkpoint.keep = 10
        return config
    }

    static func source(_ config: RunConfig) throws -> SampleSource {
        try SampleSource(imagesA: (0..<3).map { noiseImage(side: 36, seed: $0) },
                         imagesB: (0..<4).map { noiseImage(side: 36, seed: 100 + $0) },
                         data: config.data, seed: config.training.seed)
    }

    static func validation() -> ValidationSet {
        ValidationSet(size: 32,
                      itemsA: [.init(name: "a0", values: noiseImage(side: 32, seed: 7).chwFloats())],
                      itemsB: [.init(name: "b0", values: noiseImage(side: 32, seed: 8).chwFloats()),
                               .init(name: "b1", values: noiseImage(side: 32, seed: 9).chwFloats())])
    }

    struct Snapshot: Equatable {
        var g: [Float], d: [Float], mG: [Float], vD: [Float], poolA: [[Float]], poolB: [[Float]], progress: TrainingProgress
        init(_ trainer: Trainer) {
            g = trainer.model.generators.flatValues()
            d = trainer.model.discriminators.flatValues()
            mG = trainer.state.optimizers.generator.m
            vD = trainer.state.optimizers.discriminator.v
            poolA = trainer.state.poolA.images
            poolB = trainer.state.poolB.images
            progress = trainer.state.progress
        }
    }

    @Test func resumingContinuesBitIdentically() throws {
        let root = try TestSupport.temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(atPath: root) }

        // Uninterrupted: 2 epochs of 2 steps, a checkpoint after every step.
        let straightConfig = Self.config(directory: root + "/straight", everySteps: 1)
        let straight = try Trainer(config: straightConfig, source: try Self.source(straightConfig), validation: nil, resume: false)
        try straight.run()
        let expected = Snapshot(straight)
        #expect(expected.progress == TrainingProgress(epoch: 3, stepInEpoch: 0, globalStep: 4))
        #expect(expected.poolA.count == 2)  // the pools filled up, so their random swaps mattered

        // Stopped after epoch 1, resumed in a new trainer.
        let splitConfig = Self.config(directory: root + "/split")
        let first = try Trainer(config: splitConfig, source: try Self.source(splitConfig), validation: nil, resume: false)
        try first.run(throughEpoch: 1)
        #expect(first.state.progress == TrainingProgress(epoch: 2, stepInEpoch: 0, globalStep: 2))
        #expect(Snapshot(first) != expected)
        let second = try Trainer(config: splitConfig, source: try Self.source(splitConfig), validation: nil, resume: true)
        #expect(second.resumedFrom?.hasSuffix("step-000000002") == true)
        try second.run()
        #expect(Snapshot(second) == expected)

        // Resumed from the mid-epoch checkpoint after step 1 of epoch 1.
        let store = CheckpointStore(directory: root + "/straight/tiny", keep: 10)
        #expect(store.checkpointNames() == (1...4).map { CheckpointStore.name(globalStep: $0) })
        try Data("step-000000001\n".utf8).write(to: URL(fileURLWithPath: root + "/straight/tiny/latest"))
        let middle = try Trainer(config: straightConfig, source: try Self.source(straightConfig), validation: nil, resume: true)
        #expect(middle.state.progress == TrainingProgress(epoch: 1, stepInEpoch: 1, globalStep: 1))
        try middle.run()
        #expect(Snapshot(middle) == expected)

        // A mid-epoch checkpoint cannot continue with another batch size (the slots would shift).
        try Data("step-000000001\n".utf8).write(to: URL(fileURLWithPath: root + "/straight/tiny/latest"))
        var otherBatch = straightConfig
        otherBatch.training.batchSize = 1
        #expect(throws: CycleGANError.self) {
            try Trainer(config: otherBatch, source: try Self.source(otherBatch), validation: nil, resume: true)
        }
    }

    @Test func checkpointsAreKeptAndPrunedAndRestoreTheWholeState() throws {
        let root = try TestSupport.temporaryDirectory("checkpoints")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var config = Self.config(directory: root, everySteps: 1)
        config.checkpoint.keep = 2
        let trainer = try Trainer(config: config, source: try Self.source(config), validation: nil, resume: false)
        try trainer.run()
        let store = CheckpointStore(directory: root + "/tiny", keep: 2)
        #expect(store.checkpointNames() == ["step-000000003", "step-000000004"])
        let latest = try #require(store.latest())
        #expect(latest.hasSuffix("step-000000004"))
        #expect(CheckpointStore.resolve(root + "/tiny/latest") == latest)
        #expect(CheckpointStore.resolve(root + "/tiny") == latest)
        #expect(CheckpointStore.resolve(root + "/nothing") == nil)
        // No temporaries left; `.lock` is the run's, held while this process lives.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root + "/tiny").filter { $0.hasPrefix(".") && $0 != ".lock" }
        #expect(leftovers.isEmpty)

        let archive = try TensorArchive.read(directory: latest)
        #expect(archive["adam_G/m/G_AB.inp.weight"]?.shape == [2, 3, 7, 7])
        #expect(archive["adam_D/v/D_B.out.bias"]?.shape == [1])
        #expect(archive["pool/A"]?.shape == [2, 3, 32, 32])
        let model = try CycleGANModel(architecture: config.model, seed: 1)
        let state = try Checkpoint.restore(archive, into: model, path: latest)
        #expect(state.config == config)
        #expect(state.progress == trainer.state.progress)
        #expect(state.optimizers.generator.step == 4 && state.optimizers.discriminator.step == 4)
        #expect(state.optimizers.generator.v == trainer.state.optimizers.generator.v)
        #expect(state.poolB == trainer.state.poolB)
        #expect(model.generators.flatValues() == trainer.model.generators.flatValues())
        #expect(try Checkpoint.readConfig(directory: latest) == config)

        // A checkpoint of another architecture is refused with a shape error.
        var bigger = config.model
        bigger.ngf = 4
        #expect(throws: ArchiveError.self) { try Checkpoint.restore(archive, into: try CycleGANModel(architecture: bigger, seed: 1), path: latest) }
    }

    @Test func validationImagesAreWrittenEveryEpochWithAGallery() throws {
        let root = try TestSupport.temporaryDirectory("validation")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = Self.config(directory: root)
        let trainer = try Trainer(config: config, source: try Self.source(config), validation: Self.validation(), resume: false)
        var validated: [Int] = []
        try trainer.run { event in
            if case .validation(let epoch, _) = event { validated.append(epoch) }
        }
        #expect(validated == [1, 2])
        let fileManager = FileManager.default
        for epoch in ["epoch_001", "epoch_002"] {
            let files = try fileManager.contentsOfDirectory(atPath: root + "/tiny/val/" + epoch).sorted()
            #expect(files == ["A_a0.png", "B_b0.png", "B_b1.png", "grid.png"])
            let row = try ImageCodec.decode(file: root + "/tiny/val/\(epoch)/A_a0.png")
            #expect(row.width == 96 && row.height == 32)
            let grid = try ImageCodec.decode(file: root + "/tiny/val/\(epoch)/grid.png")
            #expect(grid.width == 96 && grid.height == 96)
        }
        let html = try String(contentsOfFile: root + "/tiny/val/index.html", encoding: .utf8)
        #expect(html.contains("epoch_001/A_a0.png") && html.contains("epoch_002/B_b1.png"))
    }

    @Test func validationRowsShowRealTranslatedAndReconstructed() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(), seed: 1)
        let set = Self.validation()
        let rows = try ValidationRenderer.rows(model: model, set: set)
        #expect(rows.map(\.name) == ["A_a0", "B_b0", "B_b1"])
        let row = rows[0].image
        #expect(row.width == 96 && row.height == 32 && row.channels == 3)
        // The left third is the real image itself.
        let real = try #require(Image(chwFloats: set.itemsA[0].values, width: 32, height: 32))
        for y in [0, 17, 31] {
            #expect(Array(row.pixels[(y * 96) * 3 ..< (y * 96 + 32) * 3]) == Array(real.pixels[y * 32 * 3 ..< (y + 1) * 32 * 3]))
        }
    }

    @Test func translatorKeepsTheInputSize() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(), seed: 1)
        for (width, height) in [(32, 32), (37, 33), (41, 30)] {
            let image = Self.noiseImage(side: 41, seed: 3).cropped(x: 0, y: 0, width: width, height: height)
            let output = try Translator.translate(image, with: model.generatorAB)
            #expect(output.width == width && output.height == height && output.channels == 3)
        }
        // Reflection without repeating the edge: a 5-wide row 0 1 2 3 4 becomes 0 1 2 3 4 3 2 1.
        let plane = (0..<25).map(Float.init)
        let padded = Translator.padReflect(plane + plane + plane, width: 5, height: 5, toWidth: 8, toHeight: 8)
        #expect(Array(padded[0..<8]) == [0, 1, 2, 3, 4, 3, 2, 1])
        #expect(Array(padded[(5 * 8)..<(6 * 8)]) == [15, 16, 17, 18, 19, 18, 17, 16])  // row 5 mirrors row 3
        #expect(Translator.crop(padded, width: 8, height: 8, toWidth: 5, toHeight: 5) == plane + plane + plane)
    }
}

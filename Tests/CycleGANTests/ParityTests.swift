import Foundation
import Testing
@testable import CycleGAN

/// Runs the shared PyTorch fixtures through `ParityRun` and compares with the
/// tolerances of `compare_parity.py`.
@Suite(.enabled(if: TestSupport.sharedDirectory() != nil, "../shared is missing: parity fixtures unavailable"))
struct ParityTests {
    static let fixtures = ["tiny-b1", "tiny-b2"]

    private func fixturePath(_ name: String) throws -> String {
        let shared = try #require(TestSupport.sharedDirectory(), "../shared is missing: parity fixtures unavailable")
        return shared + "/fixtures/parity/" + name
    }

    @Test(arguments: fixtures)
    func fixtureMatchesPyTorch(_ name: String) throws {
        let path = try fixturePath(name)
        let reference = try TensorArchive.read(directory: path)
        let output = try ParityRun.run(fixtureDirectory: path)
        let comparison = ParityComparison(reference: reference, candidate: output)
        #expect(comparison.checked > 100)
        #expect(comparison.passed, "\(name):\n\(comparison.summary)")
    }

    @Test func microBatchesOfOneAccumulateToTheBatchGradient() throws {
        let path = try fixturePath("tiny-b2")
        let reference = try TensorArchive.read(directory: path)
        let output = try ParityRun.run(fixtureDirectory: path, microBatch: 1)
        let comparison = ParityComparison(reference: reference, candidate: output)
        #expect(comparison.passed, "tiny-b2 in micro-batches of 1:\n\(comparison.summary)")
    }

    @Test func outputSurvivesAWriteReadRoundTrip() throws {
        let path = try fixturePath("tiny-b1")
        let output = try ParityRun.run(fixtureDirectory: path)
        let directory = try TestSupport.temporaryDirectory("parity")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try output.write(directory: directory)
        let reread = try TensorArchive.read(directory: directory)
        #expect(reread.entries == output.entries)
        #expect(reread.metadata["config"] == output.metadata["config"])
    }

    @Test func aCorruptedCandidateFailsTheComparison() throws {
        let path = try fixturePath("tiny-b1")
        let reference = try TensorArchive.read(directory: path)
        var corrupted = TensorArchive(metadata: reference.metadata)
        for entry in reference.entries {
            var values = entry.values
            if entry.name == "step1/grad/G_AB.res.0.a.weight" { values = values.map { $0 * 1.01 } }
            try corrupted.append(name: entry.name, shape: entry.shape, values: values)
        }
        let comparison = ParityComparison(reference: reference, candidate: corrupted)
        #expect(!comparison.passed)
        #expect(comparison.failures.map(\.name) == ["step1/grad/G_AB.res.0.a.weight"])
    }
}

/// `ParityRun` must follow whatever configuration a fixture carries (a held-out
/// fixture may use other widths, blocks, sizes, batches and step counts).
@Suite struct ParityConfigurationTests {
    /// A fixture-shaped archive (init parameters and inputs only) for an arbitrary configuration.
    static func syntheticFixture(ngf: Int, ndf: Int, blocks: Int, size: Int, batch: Int, steps: Int,
                                 lambdaIdentity: Double) throws -> String {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: ngf, ndf: ndf, blocks: blocks), seed: 21)
        var archive = TensorArchive(metadata: ["config": .object([
            "ngf": .int(ngf), "ndf": .int(ndf), "n_blocks": .int(blocks), "size": .int(size), "batch": .int(batch),
            "steps": .int(steps), "lr": .number(0.0002), "beta1": .number(0.5), "beta2": .number(0.999), "eps": .number(1e-8),
            "lambda_cycle": .number(10), "lambda_identity": .number(lambdaIdentity), "gan_mode": .string("lsgan"),
        ])])
        try model.store(into: &archive, prefix: "init/")
        for step in 1...steps {
            for (domain, seed) in [("A", UInt64(step)), ("B", UInt64(100 + step))] {
                let images = TestSupport.randomImages(count: batch, size: size, seed: seed)
                try archive.append(name: "step\(step)/input/\(domain)", shape: [batch, 3, size, size], values: images.flatMap { $0 })
            }
        }
        let directory = try TestSupport.temporaryDirectory("fixture")
        try archive.write(directory: directory)
        return directory
    }

    @Test func followsTheFixtureConfigurationAndIsMicroBatchInvariant() throws {
        let directory = try Self.syntheticFixture(ngf: 4, ndf: 3, blocks: 3, size: 36, batch: 3, steps: 3, lambdaIdentity: 0.5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let whole = try ParityRun.run(fixtureDirectory: directory)
        for step in 1...3 {
            #expect(whole["step\(step)/out/fake_B"]?.shape == [3, 3, 36, 36])
            #expect(whole["step\(step)/out/D_A_fake_A"]?.shape == [3, 1, 2, 2])
            #expect(whole["step\(step)/grad/G_BA.res.2.b.weight"]?.shape == [16, 16, 3, 3])
            #expect(whole["step\(step)/param/D_B.layers.3.weight"]?.shape == [24, 12, 4, 4])
            let terms = ["G_gan_AB", "G_gan_BA", "cycle_A", "cycle_B", "idt_A", "idt_B"]
                .compactMap { whole["step\(step)/loss/\($0)"]?.values.first }
            #expect(terms.count == 6)
            let total = try #require(whole["step\(step)/loss/G"]?.values.first)
            #expect(abs(terms.reduce(0, +) - total) <= 1e-5 * abs(total))
        }
        // The same steps in micro-batches of one agree within the fixture tolerances.
        let split = try ParityRun.run(fixtureDirectory: directory, microBatch: 1)
        let comparison = ParityComparison(reference: whole, candidate: split, biasBeforeNormThreshold: 1e-3)
        #expect(comparison.checked > 100)
        #expect(comparison.passed, "\(comparison.summary)")
    }

    @Test func zeroIdentityWeightStillRecordsIdentityOutputs() throws {
        let directory = try Self.syntheticFixture(ngf: 2, ndf: 2, blocks: 1, size: 32, batch: 1, steps: 1, lambdaIdentity: 0)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = try ParityRun.run(fixtureDirectory: directory)
        #expect(output["step1/out/idt_A"]?.shape == [1, 3, 32, 32])
        #expect(output["step1/loss/idt_A"]?.values == [0])
    }

    @Test func rejectsUnsupportedLossesAndMissingInputs() throws {
        let directory = try Self.syntheticFixture(ngf: 2, ndf: 2, blocks: 1, size: 32, batch: 1, steps: 1, lambdaIdentity: 0.5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var archive = try TensorArchive.read(directory: directory)
        archive.metadata["config"] = .object(["ngf": .int(2), "ndf": .int(2), "n_blocks": .int(1), "steps": .int(2),
                                              "lr": .number(0.0002), "beta1": .number(0.5), "beta2": .number(0.999)])
        try archive.write(directory: directory)
        #expect(throws: CycleGANError.self) { try ParityRun.run(fixtureDirectory: directory) }  // step2 inputs missing
        archive.metadata["config"] = .object(["ngf": .int(2), "ndf": .int(2), "n_blocks": .int(1), "steps": .int(1),
                                              "lr": .number(0.0002), "beta1": .number(0.5), "beta2": .number(0.999),
                                              "gan_mode": .string("vanilla")])
        try archive.write(directory: directory)
        #expect(throws: CycleGANError.self) { try ParityRun.run(fixtureDirectory: directory) }
    }
}

import Foundation
import Testing
@testable import CycleGAN

/// Runs the shared PyTorch fixtures through `ParityRun` and compares with the
/// tolerances of `compare_parity.py`.
@Suite struct ParityTests {
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

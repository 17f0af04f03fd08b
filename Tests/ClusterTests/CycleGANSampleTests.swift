import Config
import CycleGAN
import Datasets
import Foundation
import Imaging
import SharedFixtures
import Testing
@testable import Cluster
@testable import CycleGANCluster
import Hashing

/// `../shared` next to the package root, or nil when absent.
func sharedDirectory() -> String? { SharedFixtures.root }

/// A worker makes its samples from the files and the coordinator's plans; they must be
/// the very floats `herd train`'s `SampleSource` makes.
@Suite struct CycleGANSampleTests {
    /// A small run over the dataset at `root`.
    static func config(root: String, load: Int, crop: Int) -> RunConfig {
        var config = RunConfig()
        config.name = "samples"
        config.data.root = root
        config.data.loadSize = load; config.data.cropSize = crop; config.data.flip = true
        config.model.nBlocks = 1; config.model.ngf = 4; config.model.ndf = 4
        config.training.seed = 11
        config.checkpoint.directory = root + "/checkpoints"
        return config
    }

    /// For 3 epochs of samples: the worker's floats (file bytes + plan) equal `SampleSource.sample`'s bit for bit.
    static func expectWorkerSamplesEqualSampleSource(root: String, load: Int, crop: Int) throws {
        let config = config(root: root, load: load, crop: crop)
        let run = try CycleGANRun(config: config)
        let source = try SampleSource(root: root, data: config.data, seed: config.training.seed)
        let replica = try CycleGANReplica(config: config)
        #expect(run.epochLength == source.epochLength)
        var flipped = 0, shifted = 0, compared = 0
        for epoch in 1...3 {
            for index in 0..<source.epochLength {
                let spec = try run.sample(epoch: epoch, index: index)
                let blobs = try spec.digests.map { digest in try #require(try run.blob(digest: digest)).bytes }
                let input = SampleInput(slot: 0, epoch: epoch, index: index, blobs: blobs, digests: spec.digests, plan: spec.plan)
                let mine = try replica.sampleImages(of: input)
                let expected = source.sample(epoch: epoch, index: index)
                #expect(mine.a.map(\.bitPattern) == expected.a.map(\.bitPattern), "A of sample \(index) of epoch \(epoch)")
                #expect(mine.b.map(\.bitPattern) == expected.b.map(\.bitPattern), "B of sample \(index) of epoch \(epoch)")
                let plan = source.plan(epoch: epoch, index: index)
                flipped += (plan.cropA.flip ? 1 : 0) + (plan.cropB.flip ? 1 : 0)
                shifted += (plan.cropA.x + plan.cropA.y + plan.cropB.x + plan.cropB.y > 0) ? 1 : 0
                compared += 1
            }
        }
        // The comparison covered flips and off-origin crops, and each file was decoded once.
        #expect(compared >= 9 && flipped > 0 && shifted > 0)
        #expect(replica.images.count <= source.filesA.count + source.filesB.count)
    }

    @Test func workerSamplesOfPNGFilesAreBitIdenticalToSampleSource() throws {
        let root = NSTemporaryDirectory() + "herd-samples-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SyntheticDataset.write(to: root, size: 32, count: 5, seed: 4)
        try Self.expectWorkerSamplesEqualSampleSource(root: root, load: 44, crop: 32)   // resized up, cropped, flipped
    }

    @Test(.enabled(if: sharedDirectory() != nil, "needs ../shared/data/horse2zebra-sample"))
    func workerSamplesOfJPEGPhotosAreBitIdenticalToSampleSource() throws {
        let shared = try #require(sharedDirectory())
        let root = NSTemporaryDirectory() + "herd-samples-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (from, to) in [("testA", "trainA"), ("testB", "trainB")] {
            try FileManager.default.copyItem(atPath: shared + "/data/horse2zebra-sample/" + from, toPath: root + "/" + to)
        }
        try Self.expectWorkerSamplesEqualSampleSource(root: root, load: 72, crop: 64)   // 256 → 72 bicubic
    }

    @Test func badFilesAndPlansAreErrorsNamingTheFile() throws {
        let root = NSTemporaryDirectory() + "herd-samples-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SyntheticDataset.write(to: root, size: 32, count: 3, seed: 5)
        let config = Self.config(root: root, load: 32, crop: 32)
        let run = try CycleGANRun(config: config)
        let replica = try CycleGANReplica(config: config)
        let spec = try run.sample(epoch: 1, index: 0)
        let good = try spec.digests.map { digest in try #require(try run.blob(digest: digest)).bytes }

        // A file that does not decode: the error names it (trainA/<file>) and its hash.
        let garbage: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        let undecodable = SampleInput(slot: 0, epoch: 1, index: 0, blobs: [garbage, good[1]], digests: [SHA256.hash(garbage), spec.digests[1]], plan: spec.plan)
        let decodeError = #expect(throws: ClusterError.self) { _ = try replica.sampleImages(of: undecodable) }
        let decodeText = decodeError.map { "\($0)" } ?? ""
        #expect(decodeText.contains("cannot decode the training image trainA/synth_") && decodeText.contains("sha256"), "\(decodeText)")
        // A malformed plan and a crop outside the image.
        let truncated = SampleInput(slot: 0, epoch: 1, index: 0, blobs: good, digests: spec.digests, plan: Array(spec.plan.prefix(5)))
        let planError = #expect(throws: ClusterError.self) { _ = try replica.sampleImages(of: truncated) }
        #expect(planError.map { "\($0)" }?.contains("plan of sample 0 of epoch 1 is malformed") == true)
        let outside = CycleGANSlotPlan(cropA: SampleCrop(x: 8, y: 0, flip: false), cropB: SampleCrop(x: 0, y: 0, flip: false), nameA: "trainA/x.png", nameB: "trainB/y.png")
        let shifted = SampleInput(slot: 0, epoch: 1, index: 0, blobs: good, digests: spec.digests, plan: outside.encoded)
        let cropError = #expect(throws: ClusterError.self) { _ = try replica.sampleImages(of: shifted) }
        #expect(cropError.map { "\($0)" }?.contains("crop (8, 0) of trainA/x.png does not fit") == true)

        // The coordinator serves only the run's files, and never a file whose content changed.
        #expect(try run.blob(digest: SHA256.hash([1, 2, 3])) == nil)
        let fileA = try #require(run.files.filesA.first { $0.digest == spec.digests[0] })
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: fileA.path))
        let changed = #expect(throws: (any Error).self) { _ = try run.blob(digest: spec.digests[0]) }
        let changedText = changed.map { "\($0)" } ?? ""
        #expect(changedText.contains(fileA.path) && changedText.contains("changed since the run started"), "\(changedText)")
    }

    @Test func coordinatorKeepsNoDecodedImagesAndSkipsWhatHerdTrainSkips() throws {
        let root = NSTemporaryDirectory() + "herd-samples-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SyntheticDataset.write(to: root, size: 32, count: 3, seed: 6)
        try Data([0xFF, 0xD8, 0xFF, 0x00]).write(to: URL(fileURLWithPath: root + "/trainA/broken.jpg"))
        let config = Self.config(root: root, load: 32, crop: 32)
        let run = try CycleGANRun(config: config)
        let source = try SampleSource(root: root, data: config.data, seed: config.training.seed)
        #expect(run.files.filesA.map(\.path) == source.filesA)
        #expect(run.files.filesB.map(\.path) == source.filesB)
        #expect(run.files.skipped.map(\.path) == source.skipped.map(\.path))
        #expect(run.files.skipped.first?.path.hasSuffix("broken.jpg") == true)
    }
}

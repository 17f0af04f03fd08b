import Config
import Foundation
import Hashing
import Testing
@testable import CycleGAN

/// Every number of a checkpoint manifest has a sane range, and a manifest describing networks
/// that cannot fit is refused (naming the file and field) before anything is allocated.
@Suite struct CheckpointLimitsTests {
    /// A one-epoch tiny run's checkpoint directory, and its manifest as a mutable JSON object.
    static func checkpoint(_ root: String) throws -> (directory: String, manifest: [String: Any]) {
        let config = TrainerTests.config(directory: root)
        try Trainer(config: config, source: try TrainerTests.source(config), validation: nil, resume: false).run(throughEpoch: 1)
        let directory = try #require(CheckpointStore(directory: root + "/tiny", keep: 1).latest())
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        return (directory, try #require(JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    /// Writes `manifest` with a matching `manifest.sha256`, so what is checked is its numbers,
    /// not its checksum.
    static func write(_ manifest: [String: Any], to directory: String) throws {
        let data = try JSONSerialization.data(withJSONObject: manifest)
        try data.write(to: URL(fileURLWithPath: directory + "/manifest.json"))
        try (SHA256.hash([UInt8](data)).hexString + "\n").write(toFile: directory + "/" + TensorArchive.manifestChecksumFileName,
                                                               atomically: true, encoding: .utf8)
    }

    static func restore(_ directory: String) throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(), seed: 1)
        _ = try Checkpoint.restore(try TensorArchive.read(directory: directory), into: model, path: directory)
    }

    @Test(arguments: [("global_step", 1_000_000_000_000), ("epoch", 1000), ("step_in_epoch", 3),
                      ("adam_G_step", 99), ("pool_capacity", 51)])
    func manifestNumbersOutsideTheirRangeAreRefused(key: String, value: Int) throws {
        let root = try TestSupport.temporaryDirectory("manifest-\(key)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var (directory, manifest) = try Self.checkpoint(root)
        try Self.restore(directory)  // as written, it loads
        var training = try #require(manifest["training"] as? [String: Any])
        training[key] = value
        manifest["training"] = training
        try Self.write(manifest, to: directory)
        let error = #expect(throws: ArchiveError.self) { try Self.restore(directory) }
        #expect(error.map { "\($0)" }?.contains("training.\(key) is \(value)") == true, "\(String(describing: error))")
    }

    @Test func aManifestWithImpossibleNetworksIsRefusedBeforeAllocating() throws {
        let root = try TestSupport.temporaryDirectory("manifest-ngf")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var (directory, manifest) = try Self.checkpoint(root)
        var config = try #require(manifest["config"] as? [String: Any])
        var model = try #require(config["model"] as? [String: Any])
        model["ngf"] = 1_000_000_000
        config["model"] = model
        manifest["config"] = config
        try Self.write(manifest, to: directory)
        // What `herd translate` reads first: the configuration, checked for running only.
        let error = #expect(throws: ArchiveError.self) { try Checkpoint.readConfig(directory: directory, inference: true) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.hasPrefix(directory + "/manifest.json: ") && text.contains("config.model.ngf"), "\(text)")
        #expect(text.contains("parameters") && text.contains("of memory"), "\(text)")
        // And the model itself refuses to allocate them, whoever asks.
        var big = TestSupport.tinyModel()
        big.ngf = 1_000_000_000
        #expect(throws: CycleGANError.self) { try CycleGANModel(architecture: big, seed: 1) }
    }

    @Test func aManifestConfigWithAWrongTypeNamesTheField() throws {
        let root = try TestSupport.temporaryDirectory("manifest-type")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var (directory, manifest) = try Self.checkpoint(root)
        var config = try #require(manifest["config"] as? [String: Any])
        var cluster = try #require(config["cluster"] as? [String: Any])
        cluster["heartbeatSeconds"] = 1e-9
        config["cluster"] = cluster
        manifest["config"] = config
        try Self.write(manifest, to: directory)
        let error = #expect(throws: ArchiveError.self) { try Checkpoint.readConfig(directory: directory) }
        #expect(error.map { "\($0)" }?.contains("config.cluster.heartbeat_seconds: must be from 0.05") == true,
                "\(String(describing: error))")
    }
}

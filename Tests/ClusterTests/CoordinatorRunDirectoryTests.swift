import Config
import CycleGAN
import Foundation
import Testing
@testable import ClusterCLI
@testable import CycleGANCluster

/// The coordinator keeps a run directory as `herd train` does: it refuses to start a new run over
/// an earlier one (before loading the dataset or listening), `--fresh` discards it, `--resume`
/// of a finished run says so and exits, a damaged latest checkpoint gives way to the newest
/// intact one, and an unwritable directory is a sentence, not Foundation's error text.
@Suite struct CoordinatorRunDirectoryTests {
    /// Writes `config` (with a token next to it, dashboard off, listening on a free loopback port) as YAML.
    static func writeConfig(_ tiny: TinyCycleGAN) throws -> String {
        var config = tiny.config
        config.cluster.tokenFile = tiny.root + "/herd.token"
        config.cluster.listen = "127.0.0.1:0"
        config.dashboard.listen = ""
        try ClusterToken.generate().write(to: config.cluster.tokenFile)
        let path = tiny.root + "/cluster.yaml"
        try config.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func coordinator(_ arguments: [String]) throws {
        try CoordinatorCommand.run(try CoordinatorCommand.spec(name: "coordinator").parse(arguments))
    }

    /// Trains the tiny run to the end in this process (the same checkpoints a cluster writes).
    static func trainToTheEnd(_ tiny: TinyCycleGAN) throws {
        let source = try SampleSource(root: tiny.config.data.root, data: tiny.config.data, seed: tiny.config.training.seed)
        try Trainer(config: tiny.config, source: source, validation: nil, resume: false).run()
    }

    @Test func theCoordinatorRefusesANewRunOverAnEarlierOne() throws {
        let tiny = try TinyCycleGAN()
        let path = try Self.writeConfig(tiny)
        try Self.trainToTheEnd(tiny)
        let run = tiny.config.checkpoint.directory + "/tiny"
        let before = try FileManager.default.contentsOfDirectory(atPath: run).sorted()
        let error = #expect(throws: RunDirectoryError.self) { try Self.coordinator(["--config", path]) }
        #expect(error?.description.contains("use --resume to continue, or --fresh to discard 3 checkpoints") == true,
                "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).sorted() == before)
        #expect(throws: (any Error).self) { try Self.coordinator(["--config", path, "--resume", "--fresh"]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).sorted() == before)
    }

    @Test func resumingAFinishedRunReturnsWithoutTraining() throws {
        let tiny = try TinyCycleGAN()
        let path = try Self.writeConfig(tiny)
        try Self.trainToTheEnd(tiny)
        let store = CheckpointStore(directory: tiny.config.checkpoint.directory + "/tiny", keep: 3)
        let before = store.checkpointNames()
        let start = Date()
        try Self.coordinator(["--config", path, "--resume"])  // returns: nothing to do, no worker awaited
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(store.checkpointNames() == before)
    }

    @Test func theCoordinatorResumesFromTheNewestIntactCheckpoint() throws {
        let tiny = try TinyCycleGAN()
        try Self.trainToTheEnd(tiny)  // checkpoints after steps 4, 6 (epoch 3 end) and the everySteps ones
        let run = tiny.config.checkpoint.directory + "/tiny"
        let names = CheckpointStore(directory: run, keep: 3).checkpointNames()
        let newest = try #require(names.last)
        var data = try Data(contentsOf: URL(fileURLWithPath: run + "/" + newest + "/tensors.f32"))
        data[data.count / 2] ^= 1
        try data.write(to: URL(fileURLWithPath: run + "/" + newest + "/tensors.f32"))
        let state = try #require(try CycleGANRun(config: tiny.config).loadLatestCheckpoint())
        #expect(CheckpointStore.name(globalStep: state.step) == names[names.count - 2])
        #expect(FileManager.default.fileExists(atPath: run + "/" + newest + ".corrupt"))
    }

    @Test func anUnwritableCheckpointDirectoryIsASentence() throws {
        let tiny = try TinyCycleGAN()
        try Data().write(to: URL(fileURLWithPath: tiny.root + "/file"))
        var config = tiny.config
        config.checkpoint.directory = tiny.root + "/file/checkpoints"
        let error = #expect(throws: (any Error).self) {
            _ = try CycleGANRun.prepareRunDirectory(config: config, resume: false, fresh: false)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains(tiny.root + "/file/checkpoints") && text.contains("is a file, not a directory")
                && text.contains("set checkpoint.directory"), "\(text)")
        #expect(!text.contains("NSCocoaErrorDomain"))
    }
}

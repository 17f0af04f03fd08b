import Foundation
import Testing
@testable import Config

/// Every number of a configuration has a sane range, impossible network sizes are refused with
/// their memory before anything is allocated, and JSON configurations name the file and field.
@Suite struct ConfigLimitsTests {
    @Test func impossibleNetworkSizesAreRefusedWithTheirMemory() throws {
        let e = #expect(throws: ConfigError.self) { try RunConfig.parse(yaml: "model:\n  ngf: 1000000000\n", file: "big.yaml") }
        guard case .invalidValue(let at, let key, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(key == "model.ngf" && at?.file == "big.yaml" && at?.line == 2)
        #expect(reason.hasPrefix("1000000000 needs ~") && reason.contains("parameters") && reason.contains("EB")
                && reason.contains("of memory"), "\(reason)")
        // The largest contributor is blamed.
        let deep = #expect(throws: ConfigError.self) { try RunConfig.parse(yaml: "model:\n  n_blocks: 100000\n") }
        #expect(deep.map { "\($0)" }?.contains("model.n_blocks") == true)
        let wide = #expect(throws: ConfigError.self) { try RunConfig.parse(yaml: "model:\n  ndf: 3000000\n") }
        #expect(wide.map { "\($0)" }?.contains("model.ndf") == true)
        // The defaults fit any machine that can train at all (~0.45 GB of training state).
        #expect(RunConfig().trainingMemoryBytes < 1e9)
    }

    @Test func theMemoryEstimateCountsParametersExactly() {
        // Hand count for ngf 1, ndf 1, one block.
        var model = ModelConfig()
        (model.ngf, model.ndf, model.nBlocks) = (1, 1, 1)
        let generator = (3 * 49 + 1) + (2 * 9 + 2) + (8 * 9 + 4) + 2 * (16 * 9 + 4) + (8 * 9 + 2) + (2 * 9 + 1) + (3 * 49 + 3)
        let discriminator = (3 * 16 + 1) + (2 * 16 + 2) + (8 * 16 + 4) + (32 * 16 + 8) + (8 * 16 + 1)
        #expect(model.parameterCount == Double(2 * generator + 2 * discriminator))
        #expect(ModelConfig().parameterBytes == 4 * ModelConfig().parameterCount)
    }

    @Test(arguments: [
        ("cluster:\n  heartbeat_seconds: 1e-9\n", "cluster.heartbeat_seconds"),
        ("cluster:\n  heartbeat_seconds: 5\n", "cluster.heartbeat_seconds"),
        ("cluster:\n  min_workers: 100000\n", "cluster.min_workers"),
        ("cluster:\n  checksum_every_steps: 100000000000\n", "cluster.checksum_every_steps"),
        ("training:\n  batch_size: 1000000000\n", "training.batch_size"),
        ("training:\n  micro_batch: 1000000000\n", "training.micro_batch"),
        ("training:\n  n_epochs: 1000000000000\n", "training.n_epochs"),
        ("training:\n  n_epochs_decay: 1000000000000\n", "training.n_epochs_decay"),
        ("training:\n  lr: 5\n", "training.lr"),
        ("training:\n  lambda_cycle: 1e30\n", "training.lambda_cycle"),
        ("training:\n  pool_size: 100000000\n", "training.pool_size"),
        ("model:\n  n_blocks: 65\n", "model.n_blocks"),
        ("validation:\n  count: 1000000\n", "validation.count"),
        ("validation:\n  every_epochs: 1000000000000\n", "validation.every_epochs"),
        ("checkpoint:\n  every_steps: 100000000000000\n", "checkpoint.every_steps"),
        ("checkpoint:\n  keep: 1000000\n", "checkpoint.keep"),
    ])
    func numbersOutsideTheirSaneRangeNameTheFileAndKey(text: String, key: String) throws {
        let e = #expect(throws: ConfigError.self) { try RunConfig.parse(yaml: text, file: "range.yaml") }
        guard case .invalidValue(let at, let k, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(k == key && at?.file == "range.yaml" && at?.line == 2, "\(String(describing: e))")
        #expect(reason.contains("from") || reason.contains("at most"), "\(reason)")
    }

    @Test func theEdgesOfTheRangesAreAccepted() throws {
        let text = "model:\n  n_blocks: 64\n  ngf: 1\n  ndf: 1\ncluster:\n  heartbeat_seconds: 0.05\ntraining:\n  lr: 1\n  pool_size: 10000\n"
        _ = try RunConfig.parse(yaml: text)
        _ = try RunConfig.parse(yaml: "cluster:\n  heartbeat_seconds: 2\n")
    }

    static func json(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(RunConfig())) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func setTraining(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { object in
            var training = object["training"] as? [String: Any] ?? [:]
            training[key] = value
            object["training"] = training
        }
    }

    @Test func aJSONConfigWithAWrongTypeNamesTheFileAndField() throws {
        let e = #expect(throws: ConfigError.self) {
            try RunConfig.decode(json: try Self.json(Self.setTraining("batchSize", "four")), file: "run.json")
        }
        #expect(e == .jsonField(file: "run.json", field: "training.batchSize", reason: "expected an integer"))
        #expect(e?.description == "run.json: training.batchSize: expected an integer")
        let missing = #expect(throws: ConfigError.self) {
            try RunConfig.decode(json: try Self.json { $0["cluster"] = nil }, file: "run.json")
        }
        #expect(missing.map { "\($0)" }?.hasPrefix("run.json: cluster: missing") == true, "\(String(describing: missing))")
        let range = #expect(throws: ConfigError.self) {
            try RunConfig.decode(json: try Self.json(Self.setTraining("poolSize", -3)), file: "run.json")
        }
        #expect(range.map { "\($0)" }?.hasPrefix("run.json: training.pool_size: must be from 0") == true, "\(String(describing: range))")
        let notJSON = #expect(throws: ConfigError.self) { try RunConfig.decode(json: Data("{".utf8), file: "run.json") }
        #expect(notJSON.map { "\($0)" }?.hasPrefix("run.json: ") == true)
        #expect(try RunConfig.decode(json: try Self.json { _ in }, file: "run.json") == RunConfig())
    }

    @Test func aJSONConfigFileIsReadAndAMissingOneSaysWhy() throws {
        let path = NSTemporaryDirectory() + "herd-config-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.json(Self.setTraining("seed", 42)).write(to: URL(fileURLWithPath: path))
        #expect(try RunConfig.load(jsonPath: path).training.seed == 42)
        #expect(throws: ConfigError.unreadableFile(path: path + ".gone", reason: "No such file or directory")) {
            try RunConfig.load(jsonPath: path + ".gone")
        }
    }
}

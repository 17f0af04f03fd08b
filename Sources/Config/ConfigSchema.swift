/// One key of `cluster.yaml`: its place in the file and how it reads into and
/// writes out of `RunConfig`. `ConfigSchema.keys` is the single list both
/// directions use, so a key can't be readable but not written or vice versa.
struct ConfigKey {
    /// The section (`training`), or nil for top-level keys (`name`).
    let section: String?
    /// The snake_case name inside its section (`batch_size`).
    let name: String
    let read: (inout RunConfig, YAMLNode, _ path: String, _ file: String) throws(ConfigError) -> Void
    let write: (RunConfig) -> YAMLNode.Value

    /// `training.batch_size`
    var path: String { section.map { "\($0).\(name)" } ?? name }
}

enum ConfigSchema {
    /// Sections in file order.
    static let sections = ["data", "model", "training", "validation", "checkpoint", "cluster", "dashboard"]

    /// Every key in file order.
    static var keys: [ConfigKey] {
        [
            string(nil, "name", \.name),

            string("data", "root", \.data.root),
            int("data", "load_size", \.data.loadSize),
            int("data", "crop_size", \.data.cropSize),
            bool("data", "flip", \.data.flip),

            int("model", "n_blocks", \.model.nBlocks),
            int("model", "ngf", \.model.ngf),
            int("model", "ndf", \.model.ndf),

            int("training", "batch_size", \.training.batchSize),
            int("training", "micro_batch", \.training.microBatch),
            int("training", "n_epochs", \.training.nEpochs),
            int("training", "n_epochs_decay", \.training.nEpochsDecay),
            double("training", "lr", \.training.lr),
            double("training", "beta1", \.training.beta1),
            double("training", "beta2", \.training.beta2),
            double("training", "lambda_cycle", \.training.lambdaCycle),
            double("training", "lambda_identity", \.training.lambdaIdentity),
            int("training", "pool_size", \.training.poolSize),
            uint64("training", "seed", \.training.seed),
            int("training", "threads", \.training.threads),

            int("validation", "count", \.validation.count),
            strings("validation", "images_a", \.validation.imagesA),
            strings("validation", "images_b", \.validation.imagesB),
            int("validation", "every_epochs", \.validation.everyEpochs),

            string("checkpoint", "directory", \.checkpoint.directory),
            int("checkpoint", "every_steps", \.checkpoint.everySteps),
            int("checkpoint", "keep", \.checkpoint.keep),

            string("cluster", "listen", \.cluster.listen),
            string("cluster", "token_file", \.cluster.tokenFile),
            int("cluster", "min_workers", \.cluster.minWorkers),
            double("cluster", "heartbeat_seconds", \.cluster.heartbeatSeconds),
            int("cluster", "checksum_every_steps", \.cluster.checksumEverySteps),

            string("dashboard", "listen", \.dashboard.listen),
        ]
    }

    /// Keys allowed at the top level and inside `section`.
    static func names(in section: String?) -> [String] {
        let own = keys.filter { $0.section == section }.map(\.name)
        return section == nil ? own + sections : own
    }

    // MARK: - Typed keys

    private static func location(_ node: YAMLNode, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: node.line)
    }

    private static func int(_ section: String?, _ name: String, _ field: WritableKeyPath<RunConfig, Int>) -> ConfigKey {
        ConfigKey(section: section, name: name, read: { (config, node, path, file) throws(ConfigError) in
            config[keyPath: field] = try readInt(node, path, file)
        }, write: { .int($0[keyPath: field]) })
    }

    private static func uint64(_ section: String?, _ name: String, _ field: WritableKeyPath<RunConfig, UInt64>) -> ConfigKey {
        ConfigKey(section: section, name: name, read: { (config, node, path, file) throws(ConfigError) in
            switch node.value {
            case .int(let v) where v >= 0: config[keyPath: field] = UInt64(v)
            case .unsignedInt(let v): config[keyPath: field] = v
            case .int:
                throw .invalidValue(location(node, file), key: path, reason: "must be between 0 and \(UInt64.max), found \(node)")
            default:
                throw .wrongType(location(node, file), key: path, expected: "a non-negative integer", found: "\(node)")
            }
        }, write: { config in
            let v = config[keyPath: field]
            return v <= UInt64(Int.max) ? .int(Int(v)) : .unsignedInt(v)
        })
    }

    private static func double(_ section: String?, _ name: String, _ field: WritableKeyPath<RunConfig, Double>) -> ConfigKey {
        ConfigKey(section: section, name: name, read: { (config, node, path, file) throws(ConfigError) in
            switch node.value {
            case .float(let v): config[keyPath: field] = v
            case .int(let v): config[keyPath: field] = Double(v)
            case .unsignedInt(let v): config[keyPath: field] = Double(v)
            default: throw .wrongType(location(node, file), key: path, expected: "a number", found: "\(node)")
            }
        }, write: { .float($0[keyPath: field]) })
    }

    private static func bool(_ section: String?, _ name: String, _ field: WritableKeyPath<RunConfig, Bool>) -> ConfigKey {
        ConfigKey(section: section, name: name, read: { (config, node, path, file) throws(ConfigError) in
            guard case .bool(let v) = node.value else {
                throw .wrongType(location(node, file), key: path, expected: "true or false", found: "\(node)")
            }
            config[keyPath: field] = v
        }, write: { .bool($0[keyPath: field]) })
    }

    private static func string(_ section: String?, _ name: String, _ field: WritableKeyPath<RunConfig, String>) -> ConfigKey {
        ConfigKey(section: section, name: name, read: { (config, node, path, file) throws(ConfigError) in
            config[keyPath: field] = try readString(node, path, file)
        }, write: { .string($0[keyPath: field]) })
    }

    private static func strings(_ section: String?, _ name: String, _ field: WritableKeyPath<RunConfig, [String]>) -> ConfigKey {
        ConfigKey(section: section, name: name, read: { (config, node, path, file) throws(ConfigError) in
            switch node.value {
            case .null:
                config[keyPath: field] = []
            case .list(let items):
                var values: [String] = []
                for (k, item) in items.enumerated() {
                    values.append(try readString(item, "\(path)[\(k)]", file))
                }
                config[keyPath: field] = values
            default:
                throw .wrongType(location(node, file), key: path, expected: "a list of strings", found: "\(node)")
            }
        }, write: { .list($0[keyPath: field].map { YAMLNode(.string($0)) }) })
    }

    private static func readInt(_ node: YAMLNode, _ path: String, _ file: String) throws(ConfigError) -> Int {
        switch node.value {
        case .int(let v): return v
        case .unsignedInt: throw .invalidValue(location(node, file), key: path, reason: "\(node) is out of range")
        default: throw .wrongType(location(node, file), key: path, expected: "an integer", found: "\(node)")
        }
    }

    /// Strings also accept other scalars as written (`name: 2024` is the name "2024").
    private static func readString(_ node: YAMLNode, _ path: String, _ file: String) throws(ConfigError) -> String {
        switch node.value {
        case .string(let s): return s
        case .int, .unsignedInt, .float, .bool: return node.source
        case .null, .list, .map: throw .wrongType(location(node, file), key: path, expected: "a string", found: "\(node)")
        }
    }
}

extension RunConfig {
    /// Configuration files larger than this are refused (they are a few kilobytes).
    public static let maxFileBytes = 1 << 20

    /// Reads and validates the configuration file at `path`; missing keys keep their defaults.
    /// - Throws: `ConfigError` naming the file, the line and what is wrong (unreadable
    ///   file, YAML syntax, unknown key, wrong type, invalid value).
    public static func load(path: String) throws(ConfigError) -> RunConfig {
        try loadDocument(path: path).config
    }

    /// Parses and validates `yaml`; `file` names it in error messages.
    /// - Throws: `ConfigError` (see `load(path:)`).
    public static func parse(yaml: String, file: String = "<string>") throws(ConfigError) -> RunConfig {
        try parseDocument(yaml: yaml, file: file).config
    }

    /// `load(path:)`, keeping where each key was written.
    public static func loadDocument(path: String) throws(ConfigError) -> ConfigDocument {
        switch TextFile.read(path, maxBytes: maxFileBytes) {
        case .success(let text): return try parseDocument(yaml: text, file: path)
        case .failure(.notUTF8): throw .notText(path: path)
        case .failure(let failure): throw .unreadableFile(path: path, reason: failure.message)
        }
    }

    /// `parse(yaml:file:)`, keeping where each key was written.
    public static func parseDocument(yaml: String, file: String = "<string>") throws(ConfigError) -> ConfigDocument {
        let root = try YAMLNode.parse(yaml, file: file)
        let document = try decode(root, file: file)
        try document.config.validate(locations: document.locations)
        return document
    }

    /// Maps the YAML tree onto a `RunConfig`, checking key names and value types.
    private static func decode(_ root: YAMLNode, file: String) throws(ConfigError) -> ConfigDocument {
        var config = RunConfig()
        var locations: [String: SourceLocation] = [:]
        let keys = ConfigSchema.keys
        let topEntries: [YAMLEntry]
        switch root.value {
        case .null: topEntries = []
        case .map(let entries): topEntries = entries
        default:
            throw .wrongType(SourceLocation(file: file, line: root.line), key: "the document",
                             expected: "a map of settings (name, data, model, ...)", found: "\(root)")
        }
        for entry in topEntries {
            let at = SourceLocation(file: file, line: entry.line)
            if let key = keys.first(where: { $0.section == nil && $0.name == entry.key }) {
                try key.read(&config, entry.value, key.path, file)
                locations[key.path] = at
                continue
            }
            guard ConfigSchema.sections.contains(entry.key) else {
                throw .unknownKey(at, key: entry.key, known: ConfigSchema.names(in: nil))
            }
            locations[entry.key] = at
            let inner: [YAMLEntry]
            switch entry.value.value {
            case .null: inner = []  // an empty section keeps its defaults
            case .map(let entries): inner = entries
            default:
                throw .wrongType(SourceLocation(file: file, line: entry.value.line), key: entry.key,
                                 expected: "a map of settings", found: "\(entry.value)")
            }
            for setting in inner {
                let settingAt = SourceLocation(file: file, line: setting.line)
                guard let key = keys.first(where: { $0.section == entry.key && $0.name == setting.key }) else {
                    throw .unknownKey(settingAt, key: "\(entry.key).\(setting.key)",
                                      known: ConfigSchema.names(in: entry.key))
                }
                try key.read(&config, setting.value, key.path, file)
                locations[key.path] = settingAt
            }
        }
        return ConfigDocument(config: config, file: file, locations: locations)
    }

    /// The configuration as YAML (every key, sections in `cluster.yaml` order, no
    /// comments); `RunConfig.parse(yaml: config.yaml) == config`.
    public var yaml: String { yamlNode.yamlText }

    /// The configuration as a YAML tree.
    public var yamlNode: YAMLNode {
        var top: [YAMLEntry] = []
        for key in ConfigSchema.keys where key.section == nil {
            top.append(YAMLEntry(key: key.name, value: YAMLNode(key.write(self))))
        }
        for section in ConfigSchema.sections {
            let entries = ConfigSchema.keys.filter { $0.section == section }
                .map { YAMLEntry(key: $0.name, value: YAMLNode($0.write(self))) }
            top.append(YAMLEntry(key: section, value: YAMLNode(.map(entries))))
        }
        return YAMLNode(.map(top))
    }

    /// Every setting as `key = value` text, in file order.
    public var settings: [ConfigSetting] {
        ConfigSchema.keys.map { ConfigSetting(key: $0.path, value: YAMLNode($0.write(self)).inlineText) }
    }
}

extension RunConfig {
    /// Reads the run configuration `path` as the commands accept it: YAML, or JSON of the
    /// same fields when the name ends in `.json`. A JSON file counts as naming the dashboard's
    /// address explicitly (its every field is written out).
    /// - Returns: the configuration and whether the file sets `dashboard.listen`.
    /// - Throws: `ConfigError` naming the file (and the line or field).
    public static func loadFile(path: String) throws(ConfigError) -> (config: RunConfig, namesDashboardListen: Bool) {
        if path.hasSuffix(".json") { return (try load(jsonPath: path), true) }
        let document = try loadDocument(path: path)
        return (document.config, document.names("dashboard.listen"))
    }
}

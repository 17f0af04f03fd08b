/// A run configuration together with where each of its keys was written.
///
/// Use it when it matters whether the user named a key explicitly, e.g. the
/// dashboard binds a non-loopback address only when `dashboard.listen` is in
/// the file (`document.names("dashboard.listen")`).
public struct ConfigDocument: Sendable, Equatable {
    public var config: RunConfig
    /// The file name as given to the parser.
    public var file: String
    /// Dotted key paths written in the file (`training.batch_size`), with the key's line.
    public var locations: [String: SourceLocation]

    public init(config: RunConfig, file: String, locations: [String: SourceLocation]) {
        self.config = config
        self.file = file
        self.locations = locations
    }

    /// Whether the file sets `path` (a dotted key such as `dashboard.listen`).
    public func names(_ path: String) -> Bool { locations[path] != nil }
}

/// One setting as `key = value` text, for summaries (dashboard, logs).
public struct ConfigSetting: Sendable, Equatable, Codable {
    /// Dotted key path, e.g. `training.batch_size`.
    public var key: String
    /// The value as it would be written in `cluster.yaml`.
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

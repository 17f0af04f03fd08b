import Foundation

extension RunConfig {
    /// Reads and validates a JSON run configuration: every field of `RunConfig` under its
    /// Swift name (`{"name": ..., "training": {"batchSize": 1, ...}, ...}`), as `JSONEncoder`
    /// writes it and the coordinator sends it to workers.
    /// - Throws: `ConfigError` naming the file and the field (a missing field, a wrong type,
    ///   a value out of range), never a raw `DecodingError`.
    public static func load(jsonPath path: String) throws(ConfigError) -> RunConfig {
        switch TextFile.read(path, maxBytes: maxFileBytes) {
        case .success(let text): return try decode(json: Data(text.utf8), file: path)
        case .failure(.notUTF8): throw .notText(path: path)
        case .failure(let failure): throw .unreadableFile(path: path, reason: failure.message)
        }
    }

    /// Decodes and validates the JSON run configuration `json`; `file` names it in errors.
    /// `inference` checks only that the parameters fit the memory (see ``validateForInference()``).
    public static func decode(json: Data, file: String, inference: Bool = false) throws(ConfigError) -> RunConfig {
        let config: RunConfig
        do {
            config = try JSONDecoder().decode(RunConfig.self, from: json)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch {
            throw .jsonField(file: file, field: "", reason: "not a run configuration (\(error.localizedDescription))")
        }
        do {
            if inference { try config.validateForInference() } else { try config.validate() }
        } catch {
            guard case .invalidValue(_, let key, let reason) = error else { throw error }
            throw .jsonField(file: file, field: key, reason: reason)
        }
        return config
    }

    /// The field path and a sentence for a `DecodingError`.
    static func describe(_ error: DecodingError, file: String) -> ConfigError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: ["."])
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is Int.Type, is UInt64.Type: return "an integer"
            case is Double.Type: return "a number"
            case is Bool.Type: return "true or false"
            case is String.Type: return "a string"
            case is [String].Type: return "a list of strings"
            default: return "an object"
            }
        }
        switch error {
        case .typeMismatch(let type, let context):
            return .jsonField(file: file, field: path(context.codingPath), reason: "expected \(kind(type))")
        case .valueNotFound(let type, let context):
            return .jsonField(file: file, field: path(context.codingPath), reason: "expected \(kind(type)), found null")
        case .keyNotFound(let key, let context):
            return .jsonField(file: file, field: path(context.codingPath + [key]),
                              reason: "missing (a JSON configuration must give every field; YAML may leave out defaults)")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return .jsonField(file: file, field: field,
                              reason: field.isEmpty ? "not valid JSON" : "not a valid value (\(context.debugDescription))")
        @unknown default:
            return .jsonField(file: file, field: "", reason: "not a run configuration")
        }
    }
}

/// Why a dataset operation failed; every case names the path or line involved.
public enum DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A file or directory could not be read, written or created.
    case io(path: String, reason: String)
    /// A dataset folder is missing or has no images.
    case missingFolder(path: String)
    /// A line of a metadata file could not be parsed.
    case badLine(file: String, line: Int, reason: String)
    /// An option value is out of range.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        case .missingFolder(let path): return "\(path): no such folder"
        case .badLine(let file, let line, let reason): return "\(file):\(line): \(reason)"
        case .invalidArgument(let message): return message
        }
    }
}

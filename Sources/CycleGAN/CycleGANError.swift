import Tensor

/// Errors of the CycleGAN library that are not archive errors.
public enum CycleGANError: Error, CustomStringConvertible, Sendable {
    /// The network widths or block count are unusable.
    case invalidArchitecture(String)
    /// A tensor operation rejected its inputs (a shape that does not fit).
    case tensor(TensorError)
    /// A batch of images does not fit the model (wrong channel count, size not a multiple of 4, mismatched A/B shapes).
    case invalidBatch(String)
    /// A training setting is unusable (batch size, micro-batch, schedule).
    case invalidSetting(String)
    /// The dataset cannot be used (missing directory, no decodable images).
    case dataset(String)
    /// A checkpoint or parity archive could not be read or written.
    case archive(ArchiveError)
    /// An image or file could not be written.
    case output(path: String, reason: String)
    /// The run directory holds an earlier run (see ``RunStart``).
    case runDirectory(RunDirectoryError)

    public var description: String {
        switch self {
        case .invalidArchitecture(let message): return "invalid architecture: \(message)"
        case .tensor(let error): return "tensor operation failed: \(error)"
        case .invalidBatch(let message): return "invalid batch: \(message)"
        case .invalidSetting(let message): return "invalid setting: \(message)"
        case .dataset(let message): return "dataset: \(message)"
        case .archive(let error): return error.description
        case .output(let path, let reason): return "\(path): \(reason)"
        case .runDirectory(let error): return error.description
        }
    }
}

/// What went wrong reading or writing a tensor archive (the `cyclegan-parity-1`
/// directory format) or a checkpoint built on it.
public enum ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A file system call failed.
    case io(path: String, reason: String)
    /// `manifest.json` is not valid or lacks a required field.
    case badManifest(path: String, reason: String)
    /// A manifest entry points past the end of the data file.
    case tensorOutOfRange(path: String, name: String, offset: Int, count: Int, available: Int)
    /// A tensor the reader needs is not in the archive.
    case missingTensor(path: String, name: String)
    /// A tensor has another shape than the reader needs.
    case shapeMismatch(path: String, name: String, expected: [Int], found: [Int])
    /// Two tensors with one name.
    case duplicateTensor(name: String)
    /// The values given for a tensor do not fill its shape.
    case countMismatch(name: String, shape: [Int], count: Int)
    /// The manifest's training state is inconsistent with the rest of the checkpoint.
    case badState(path: String, reason: String)
    /// A tensor's bytes do not have the SHA-256 its manifest records (the file was altered or damaged).
    case checksumMismatch(path: String, name: String)
    /// Every checkpoint of a run failed its checks.
    case noIntactCheckpoint(directory: String, failures: [String])

    public var description: String {
        switch self {
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .badManifest(path, reason):
            return "\(path): invalid manifest: \(reason)"
        case let .tensorOutOfRange(path, name, offset, count, available):
            return "\(path): tensor '\(name)' spans floats \(offset)..<\(offset + count) but the data file holds only \(available) floats"
        case let .missingTensor(path, name):
            return "\(path): has no tensor named '\(name)'"
        case let .shapeMismatch(path, name, expected, found):
            return "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        case let .duplicateTensor(name):
            return "tensor '\(name)' appears twice in one archive"
        case let .countMismatch(name, shape, count):
            return "tensor '\(name)' of shape \(shape) needs \(shape.reduce(1, *)) floats, got \(count)"
        case let .badState(path, reason):
            return "\(path): inconsistent checkpoint: \(reason)"
        case let .checksumMismatch(path, name) where name == "manifest.json":
            return "\(path): does not match its SHA-256 in \(TensorArchive.manifestChecksumFileName): the checkpoint is damaged"
        case let .checksumMismatch(path, name):
            return "\(path): tensor '\(name)' does not match its SHA-256 in the manifest: the checkpoint is damaged"
        case let .noIntactCheckpoint(directory, failures):
            return "\(directory): no intact checkpoint to resume from (\(failures.joined(separator: "; "))); "
                + "restore one from a backup, or start over with --fresh"
        }
    }
}

import Cluster
import CycleGAN
import Hashing
import Imaging

/// The training images of a run as the coordinator knows them: the usable files of
/// `trainA` and `trainB` in name order with their SHA-256. "Usable" is `herd train`'s
/// rule (the file decodes to a non-empty image), checked once at start, so both
/// choose the same files; the decoded pixels are not kept. A file's bytes are read
/// again when a worker asks for them, and must still have the recorded digest.
struct TrainingFiles: Sendable {
    struct File: Sendable, Equatable {
        /// Full path.
        let path: String
        /// The path inside the dataset root (`trainA/<file>`): how messages name it.
        let name: String
        let digest: [UInt8]
    }

    let filesA: [File]
    let filesB: [File]
    /// Files left out (cannot be read or decoded), with the reason.
    let skipped: [SkippedImage]
    private let byDigest: [[UInt8]: File]

    /// Lists, decodes (on all cores) and hashes the files of `root/trainA` and `root/trainB`.
    /// - Throws: `ClusterError.model` when a folder cannot be listed or holds no usable image.
    init(root: String) throws(ClusterError) {
        let candidates: (a: [String], b: [String])
        do { candidates = try SampleSource.candidateFiles(root: root) } catch { throw .model("\(error)") }
        let a = Self.scan(candidates.a, root: root)
        let b = Self.scan(candidates.b, root: root)
        guard !a.kept.isEmpty, !b.kept.isEmpty else {
            throw .model("need at least one decodable image in each domain of \(root) (trainA: \(a.kept.count), trainB: \(b.kept.count))")
        }
        filesA = a.kept
        filesB = b.kept
        skipped = a.skipped + b.skipped
        var index: [[UInt8]: File] = [:]
        for f in filesA + filesB where index[f.digest] == nil { index[f.digest] = f }
        byDigest = index
    }

    /// The file with `digest`, read now; nil when no training file has that digest.
    /// - Throws: `ClusterError.model` naming the file when it cannot be read or its
    ///   content changed since the run started.
    func blob(digest: [UInt8]) throws(ClusterError) -> Blob? {
        guard let file = byDigest[digest] else { return nil }
        let bytes: [UInt8]
        do { bytes = try ImageCodec.readFile(file.path) } catch { throw .model("cannot read the training image \(file.path): \(error)") }
        let actual = SHA256.hash(bytes)
        guard actual == digest else {
            throw .model("the training image \(file.path) changed since the run started (sha256 \(actual.hexString.prefix(16))… instead of \(digest.hexString.prefix(16))…)")
        }
        return Blob(digest: digest, bytes: bytes)
    }

    private static func scan(_ paths: [String], root: String) -> (kept: [File], skipped: [SkippedImage]) {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let usable = FolderImages.eachUsable(paths) { path in
            let bytes = try FolderImages.readBounded(path)
            _ = try FolderImages.decodeUsable(try FolderImages.decodeBounded(bytes))
            let name = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
            return File(path: path, name: name, digest: SHA256.hash(bytes))
        }
        return (usable.kept.map(\.value), usable.skipped)
    }
}

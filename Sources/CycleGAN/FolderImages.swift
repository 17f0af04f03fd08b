import Datasets
import Dispatch
import Foundation
import Imaging
import Synchronization

/// A file that could not be used, and why.
public struct SkippedImage: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Loading the images of one dataset folder (`trainA`, `testB`, ...): the files
/// `Datasets.ImageFolder` lists (JPEG or PNG, recursively, sorted by path as
/// CycleGAN's `make_dataset`), decoded, converted to 8-bit RGB and resized
/// (bicubic, Pillow-exact) to a square side.
public enum FolderImages {
    /// The image files of `directory`, sorted by path. Throws when the directory cannot be listed.
    public static func list(_ directory: String) throws(CycleGANError) -> [String] {
        do {
            return try ImageFolder(path: directory).files
        } catch {
            throw .dataset("\(error)")
        }
    }

    /// Decodes and resizes `paths` on all cores. Files that fail are left out
    /// and reported in `skipped`; `kept` lists the paths of `images`.
    static func load(_ paths: [String], side: Int) -> (images: [Image], kept: [String], skipped: [SkippedImage]) {
        let planner = SamplePlanner(seed: 0, countA: 1, countB: 1, loadSize: side, cropSize: side, flip: false)
        let usable = eachUsable(paths) { path in planner.prepare(try decodeUsable(try ImageCodec.decode(file: path))) }
        return (usable.kept.map(\.value), usable.kept.map(\.path), usable.skipped)
    }

    /// Runs `make` on every path on all cores, in path order: what it returns is kept, what
    /// it throws skips the file with the error as the reason (`herd train` and the cluster
    /// coordinator leave out the same files this way).
    public static func eachUsable<T: Sendable>(_ paths: [String], _ make: @Sendable (String) throws -> T)
        -> (kept: [(path: String, value: T)], skipped: [SkippedImage])
    {
        let results = Mutex<[Int: Result<T, ImageLoadFailure>]>([:])
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let path = paths[index]
            let result: Result<T, ImageLoadFailure>
            do {
                result = .success(try make(path))
            } catch {
                // Imaging's errors already name the file; keep only the reason.
                let message = "\(error)"
                result = .failure(ImageLoadFailure(reason: message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message))
            }
            results.withLock { $0[index] = result }
        }
        var kept: [(path: String, value: T)] = []
        var skipped: [SkippedImage] = []
        let all = results.withLock { $0 }
        for (index, path) in paths.enumerated() {
            switch all[index] {
            case .success(let value)?:
                kept.append((path, value))
            case .failure(let failure)?:
                skipped.append(SkippedImage(path: path, reason: failure.reason))
            case nil:
                skipped.append(SkippedImage(path: path, reason: "not processed"))
            }
        }
        return (kept, skipped)
    }

    /// `image` when it can train (not empty), else an error whose text is the reason.
    public static func decodeUsable(_ image: Image) throws(ImageLoadFailure) -> Image {
        guard image.width > 0, image.height > 0 else { throw ImageLoadFailure(reason: "empty image") }
        return image
    }

    /// Why a file was left out.
    public struct ImageLoadFailure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }
}

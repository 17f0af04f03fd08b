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
enum FolderImages {
    /// The image files of `directory`, sorted by path. Throws when the directory cannot be listed.
    static func list(_ directory: String) throws(CycleGANError) -> [String] {
        do {
            return try ImageFolder(path: directory).files
        } catch {
            throw .dataset("\(error)")
        }
    }

    /// Decodes and resizes `paths` on all cores. Files that fail are left out
    /// and reported in `skipped`; `kept` lists the paths of `images`.
    static func load(_ paths: [String], side: Int) -> (images: [Image], kept: [String], skipped: [SkippedImage]) {
        let results = Mutex<[Int: Result<Image, ImageLoadFailure>]>([:])
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let result = loadOne(paths[index], side: side)
            results.withLock { $0[index] = result }
        }
        var images: [Image] = []
        var kept: [String] = []
        var skipped: [SkippedImage] = []
        let all = results.withLock { $0 }
        for (index, path) in paths.enumerated() {
            switch all[index] {
            case .success(let image)?:
                images.append(image)
                kept.append(path)
            case .failure(let failure)?:
                skipped.append(SkippedImage(path: path, reason: failure.reason))
            case nil:
                skipped.append(SkippedImage(path: path, reason: "not processed"))
            }
        }
        return (images, kept, skipped)
    }

    struct ImageLoadFailure: Error { let reason: String }

    static func loadOne(_ path: String, side: Int) -> Result<Image, ImageLoadFailure> {
        do {
            let decoded = try ImageCodec.decode(file: path)
            guard decoded.width > 0, decoded.height > 0 else { return .failure(ImageLoadFailure(reason: "empty image")) }
            return .success(SamplePlanner(seed: 0, countA: 1, countB: 1, loadSize: side, cropSize: side, flip: false).prepare(decoded))
        } catch {
            // Imaging's errors already name the file; keep only the reason.
            let message = "\(error)"
            let reason = message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message
            return .failure(ImageLoadFailure(reason: reason))
        }
    }
}

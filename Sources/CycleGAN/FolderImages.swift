import Datasets
import Dispatch
import Foundation
import Imaging
import Locking

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

    /// Dataset images may declare at most this many pixels (2^25, e.g. 8192 x 4096): they are
    /// resized to a few hundred pixels anyway, and a decoded 16-bit image of the decoders'
    /// own limit (2^27 pixels) takes 0.8 GB. The header is checked before any pixel is decoded.
    public static let maximumPixels = 1 << 25

    /// Dataset image files may have at most this many bytes (256 MiB): checked from the file's
    /// size before it is read.
    public static let maximumFileBytes = 1 << 28

    /// The bytes of the image file at `path`, refusing (from its size, before reading) one
    /// larger than ``maximumFileBytes`` with a sentence saying what to do.
    public static func readBounded(_ path: String) throws(ImageLoadFailure) -> [UInt8] {
        var status = stat()
        if stat(path, &status) == 0, Int(status.st_size) > maximumFileBytes {
            throw ImageLoadFailure(reason: "is \(Int(status.st_size) >> 20) MiB, more than the \(maximumFileBytes >> 20) MiB "
                                   + "dataset images may have: resize or recompress it")
        }
        do { return try ImageCodec.readFile(path) } catch { throw ImageLoadFailure(reason: "\(error)") }
    }

    /// Decodes an image file's bytes, refusing (from its header, before decoding) one
    /// larger than ``maximumPixels`` with a sentence saying what to do.
    public static func decodeBounded(_ bytes: [UInt8]) throws(ImageLoadFailure) -> Image {
        do {
            return try ImageCodec.decode(bytes, maxPixels: maximumPixels, applyOrientation: true)
        } catch .tooLarge(_, _, let width, let height, _) {
            throw ImageLoadFailure(reason: "is \(width)x\(height) pixels (\(width * height / 1_000_000) megapixels), more than the "
                                   + "\(maximumPixels / 1_000_000) megapixels dataset images may have: resize it")
        } catch {
            throw ImageLoadFailure(reason: "\(error)")
        }
    }

    /// Decodes and resizes `paths`, on all cores when `concurrently` (one at a time otherwise,
    /// so at most one decoded full-size image is held). Files that fail are left out and
    /// reported in `skipped`; `kept` lists the paths of `images`.
    static func load(_ paths: [String], side: Int, concurrently: Bool = true) -> (images: [Image], kept: [String], skipped: [SkippedImage]) {
        let planner = SamplePlanner(seed: 0, countA: 1, countB: 1, loadSize: side, cropSize: side, flip: false)
        let usable = eachUsable(paths, concurrently: concurrently) { path in
            planner.prepare(try decodeUsable(try decodeBounded(try readBounded(path))))
        }
        return (usable.kept.map(\.value), usable.kept.map(\.path), usable.skipped)
    }

    /// `make(path)`, or the reason it failed (Imaging's errors already name the file; only the reason is kept).
    private static func attempt<T>(_ path: String, _ make: (String) throws -> T) -> Result<T, ImageLoadFailure> {
        do {
            return .success(try make(path))
        } catch {
            let message = "\(error)"
            return .failure(ImageLoadFailure(reason: message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message))
        }
    }

    /// Runs `make` on every path on all cores, in path order: what it returns is kept, what
    /// it throws skips the file with the error as the reason (`herd train` and the cluster
    /// coordinator leave out the same files this way).
    public static func eachUsable<T: Sendable>(_ paths: [String], concurrently: Bool = true, _ make: @Sendable (String) throws -> T)
        -> (kept: [(path: String, value: T)], skipped: [SkippedImage])
    {
        let results = Locked<[Int: Result<T, ImageLoadFailure>]>([:])
        if concurrently {
            DispatchQueue.concurrentPerform(iterations: paths.count) { index in
                let result = attempt(paths[index], make)
                results.withLock { $0[index] = result }
            }
        } else {
            for index in paths.indices {
                let result = attempt(paths[index], make)
                results.withLock { $0[index] = result }
            }
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

import Foundation
import Config
import Imaging
import Locking

/// The unpaired training data of a run, with every random choice keyed by
/// (seed, epoch, sample index), so any sample can be recomputed on any machine
/// (the choices are a ``SamplePlanner``'s; see there for the exact rules).
/// Decoded, resized images are cached in memory for the whole run.
public final class SampleSource: Sendable {
    public let loadSize: Int
    public let cropSize: Int
    public let flip: Bool
    public let seed: UInt64
    /// The usable files of each domain, in name order.
    public let filesA: [String]
    public let filesB: [String]
    /// Files that could not be decoded (reported once at start).
    public let skipped: [SkippedImage]
    private let imagesA: [Image]
    private let imagesB: [Image]
    private let orderCache = Locked<(epoch: Int, order: [Int])?>(nil)

    /// Loads `root/trainA` and `root/trainB`. Throws ``CycleGANError/dataset(_:)``
    /// when a folder is missing or holds no decodable image, and
    /// ``CycleGANError/invalidSetting(_:)`` when the sizes are unusable.
    public convenience init(root: String, data: DataConfig, seed: UInt64) throws(CycleGANError) {
        for split in ["trainA", "trainB"] where !FileManager.default.fileExists(atPath: root + "/" + split) {
            throw .dataset("\(root)/\(split): no such folder. Download a data set with 'herd data download horse2zebra' "
                + "(every name: 'herd data download --help') or set data.root in the config")
        }
        let filesA = try FolderImages.list(root + "/trainA")
        let filesB = try FolderImages.list(root + "/trainB")
        let loadedA = FolderImages.load(filesA, side: data.loadSize)
        let loadedB = FolderImages.load(filesB, side: data.loadSize)
        try self.init(imagesA: loadedA.images, imagesB: loadedB.images, filesA: loadedA.kept, filesB: loadedB.kept,
                      skipped: loadedA.skipped + loadedB.skipped, data: data, seed: seed)
    }

    /// The candidate image files of `root/trainA` and `root/trainB` (JPEG or PNG,
    /// recursively, sorted by path), as ``init(root:data:seed:)`` lists them before decoding:
    /// it keeps those that decode to a non-empty image.
    /// Throws ``CycleGANError/dataset(_:)`` when a folder cannot be listed.
    public static func candidateFiles(root: String) throws(CycleGANError) -> (a: [String], b: [String]) {
        (try FolderImages.list(root + "/trainA"), try FolderImages.list(root + "/trainB"))
    }

    /// Checks the load and crop sizes a sample needs (a positive crop, a multiple of 4, within the load size).
    /// - Throws: `CycleGANError.invalidSetting` naming the size that does not fit.
    public static func checkSizes(_ data: DataConfig) throws(CycleGANError) {
        guard data.cropSize > 0, data.loadSize >= data.cropSize else {
            throw .invalidSetting("crop size \(data.cropSize) must be positive and at most the load size \(data.loadSize)")
        }
        guard data.cropSize % 4 == 0 else {
            throw .invalidSetting("crop size \(data.cropSize) must be a multiple of 4")
        }
    }

    /// A source over images already in memory (8-bit RGB, `loadSize` square).
    public init(imagesA: [Image], imagesB: [Image], filesA: [String]? = nil, filesB: [String]? = nil,
                skipped: [SkippedImage] = [], data: DataConfig, seed: UInt64) throws(CycleGANError) {
        try Self.checkSizes(data)
        guard !imagesA.isEmpty, !imagesB.isEmpty else {
            throw .dataset("need at least one decodable image in each domain (A: \(imagesA.count), B: \(imagesB.count))")
        }
        for image in imagesA + imagesB where image.width != data.loadSize || image.height != data.loadSize || image.channels != 3 {
            throw .invalidSetting("cached images must be \(data.loadSize)x\(data.loadSize) RGB, got \(image.width)x\(image.height)x\(image.channels)")
        }
        loadSize = data.loadSize
        cropSize = data.cropSize
        flip = data.flip
        self.seed = seed
        self.imagesA = imagesA
        self.imagesB = imagesB
        self.filesA = filesA ?? imagesA.indices.map { "A\($0)" }
        self.filesB = filesB ?? imagesB.indices.map { "B\($0)" }
        self.skipped = skipped
    }

    /// Samples per epoch: `max(|A|, |B|)`.
    public var epochLength: Int { max(imagesA.count, imagesB.count) }

    /// Floats per sample image (`3 * cropSize²`).
    public var sampleCount: Int { 3 * cropSize * cropSize }

    /// The plans of this source's samples (seed, domain sizes, sizes, flip).
    public var planner: SamplePlanner {
        SamplePlanner(seed: seed, countA: imagesA.count, countB: imagesB.count, loadSize: loadSize, cropSize: cropSize, flip: flip)
    }

    /// The keyed shuffle of `0 ..< epochLength` for `epoch` (cached for the latest epoch).
    public func order(epoch: Int) -> [Int] {
        if let cached = orderCache.withLock({ $0 }), cached.epoch == epoch { return cached.order }
        let order = planner.order(epoch: epoch)
        orderCache.withLock { $0 = (epoch, order) }
        return order
    }

    /// Every random choice of sample `index` of `epoch`.
    public func plan(epoch: Int, index: Int) -> SamplePlan {
        planner.plan(epoch: epoch, index: index, order: order(epoch: epoch))
    }

    /// The dataset indices (A, B) of sample `index` of `epoch` (`index` wraps at ``epochLength``).
    public func indices(epoch: Int, index: Int) -> (a: Int, b: Int) {
        let plan = plan(epoch: epoch, index: index)
        return (plan.indexA, plan.indexB)
    }

    /// Sample `index` of `epoch`: the A and B images as CHW floats `[3 * cropSize²]` in [-1, 1].
    public func sample(epoch: Int, index: Int) -> (a: [Float], b: [Float]) {
        let plan = plan(epoch: epoch, index: index)
        let imageA = imagesA[plan.indexA]
        let imageB = imagesB[plan.indexB]
        return (imageA.sampleFloats(x: plan.cropA.x, y: plan.cropA.y, width: cropSize, height: cropSize, flip: plan.cropA.flip),
                imageB.sampleFloats(x: plan.cropB.x, y: plan.cropB.y, width: cropSize, height: cropSize, flip: plan.cropB.flip))
    }
}

import Config
import Imaging
import Synchronization

/// The unpaired training data of a run, with every random choice keyed by
/// (seed, epoch, sample index), so any sample can be recomputed on any machine.
///
/// An epoch has `max(|A|, |B|)` samples. Sample `i` of epoch `e` takes
/// A image `order(e)[i] % |A|` (a keyed shuffle of the epoch's indices, as a
/// shuffling data loader with the reference's `index % |A|`), a B image drawn
/// uniformly at random, and for each a random `cropSize` crop of the
/// `loadSize`-resized image and a random horizontal flip (when enabled), scaled to [-1, 1].
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
    private let orderCache = Mutex<(epoch: Int, order: [Int])?>(nil)

    /// Loads `root/trainA` and `root/trainB`. Throws ``CycleGANError/dataset(_:)``
    /// when a folder is missing or holds no decodable image, and
    /// ``CycleGANError/invalidSetting(_:)`` when the sizes are unusable.
    public convenience init(root: String, data: DataConfig, seed: UInt64) throws(CycleGANError) {
        let filesA = try ImageFolder.list(root + "/trainA")
        let filesB = try ImageFolder.list(root + "/trainB")
        let loadedA = ImageFolder.load(filesA, side: data.loadSize)
        let loadedB = ImageFolder.load(filesB, side: data.loadSize)
        try self.init(imagesA: loadedA.images, imagesB: loadedB.images, filesA: loadedA.kept, filesB: loadedB.kept,
                      skipped: loadedA.skipped + loadedB.skipped, data: data, seed: seed)
    }

    /// A source over images already in memory (8-bit RGB, `loadSize` square).
    public init(imagesA: [Image], imagesB: [Image], filesA: [String]? = nil, filesB: [String]? = nil,
                skipped: [SkippedImage] = [], data: DataConfig, seed: UInt64) throws(CycleGANError) {
        guard data.cropSize > 0, data.loadSize >= data.cropSize else {
            throw .invalidSetting("crop size \(data.cropSize) must be positive and at most the load size \(data.loadSize)")
        }
        guard data.cropSize % 4 == 0 else {
            throw .invalidSetting("crop size \(data.cropSize) must be a multiple of 4")
        }
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

    /// The keyed shuffle of `0 ..< epochLength` for `epoch` (Fisher–Yates).
    public func order(epoch: Int) -> [Int] {
        if let cached = orderCache.withLock({ $0 }), cached.epoch == epoch { return cached.order }
        var random = KeyedRandom(seed: seed, keys: [RandomStream.orderA.rawValue, UInt64(truncatingIfNeeded: epoch)])
        var order = Array(0..<epochLength)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, random.nextIndex(below: i + 1))
            }
        }
        orderCache.withLock { $0 = (epoch, order) }
        return order
    }

    /// The dataset indices (A, B) of sample `index` of `epoch` (`index` wraps at ``epochLength``).
    public func indices(epoch: Int, index: Int) -> (a: Int, b: Int) {
        let slot = ((index % epochLength) + epochLength) % epochLength
        let a = order(epoch: epoch)[slot] % imagesA.count
        var random = KeyedRandom(seed: seed, keys: [RandomStream.pickB.rawValue, UInt64(truncatingIfNeeded: epoch), UInt64(slot)])
        return (a, random.nextIndex(below: imagesB.count))
    }

    /// Sample `index` of `epoch`: the A and B images as CHW floats `[3 * cropSize²]` in [-1, 1].
    public func sample(epoch: Int, index: Int) -> (a: [Float], b: [Float]) {
        let (a, b) = indices(epoch: epoch, index: index)
        let slot = UInt64(((index % epochLength) + epochLength) % epochLength)
        let e = UInt64(truncatingIfNeeded: epoch)
        return (augment(imagesA[a], keys: [RandomStream.augmentA.rawValue, e, slot]),
                augment(imagesB[b], keys: [RandomStream.augmentB.rawValue, e, slot]))
    }

    private func augment(_ image: Image, keys: [UInt64]) -> [Float] {
        var random = KeyedRandom(seed: seed, keys: keys)
        let x = random.nextIndex(below: loadSize - cropSize + 1)
        let y = random.nextIndex(below: loadSize - cropSize + 1)
        let mirrored = random.nextUnitDouble() < 0.5
        return image.sampleFloats(x: x, y: y, width: cropSize, height: cropSize, flip: flip && mirrored)
    }
}

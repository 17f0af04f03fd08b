import Imaging

/// Where a sample's crop lies in its `loadSize`-resized image, and whether it is mirrored.
public struct SampleCrop: Sendable, Equatable, Codable {
    public let x: Int
    public let y: Int
    public let flip: Bool

    public init(x: Int, y: Int, flip: Bool) {
        self.x = x
        self.y = y
        self.flip = flip
    }
}

/// Every random choice of one sample: which A and B images (indices into the
/// name-sorted usable files of each domain) and how each is cropped and flipped.
public struct SamplePlan: Sendable, Equatable, Codable {
    public let indexA: Int
    public let indexB: Int
    public let cropA: SampleCrop
    public let cropB: SampleCrop
}

/// The data order and augmentations of a run as a pure function of
/// (seed, epoch, sample index) and the dataset sizes: any machine that knows the
/// domain sizes can plan any sample without holding the images (a cluster
/// worker can then apply the plan to images it decoded itself with ``SamplePlanner/apply(_:to:)``).
///
/// An epoch has `max(|A|, |B|)` samples. Sample `i` of epoch `e` takes A image
/// `order(e)[i] % |A|` (a keyed Fisher–Yates shuffle of the epoch's indices, like
/// a shuffling data loader with the reference's `index % |A|`), a B image drawn
/// uniformly, and for each a uniform crop offset in `0...(loadSize - cropSize)`
/// and a flip with probability 1/2 (when enabled).
public struct SamplePlanner: Sendable, Equatable {
    public let seed: UInt64
    public let countA: Int
    public let countB: Int
    public let loadSize: Int
    public let cropSize: Int
    public let flip: Bool

    /// A planner for domains of `countA` and `countB` images (both at least 1; smaller counts are raised to 1).
    public init(seed: UInt64, countA: Int, countB: Int, loadSize: Int, cropSize: Int, flip: Bool) {
        self.seed = seed
        self.countA = max(1, countA)
        self.countB = max(1, countB)
        self.loadSize = loadSize
        self.cropSize = min(cropSize, loadSize)
        self.flip = flip
    }

    /// Samples per epoch: `max(|A|, |B|)`.
    public var epochLength: Int { max(countA, countB) }

    /// The keyed shuffle of `0 ..< epochLength` for `epoch`.
    public func order(epoch: Int) -> [Int] {
        var random = KeyedRandom(seed: seed, keys: [RandomStream.orderA.rawValue, UInt64(truncatingIfNeeded: epoch)])
        var order = Array(0..<epochLength)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, random.nextIndex(below: i + 1))
            }
        }
        return order
    }

    /// The plan of sample `index` of `epoch` (`index` wraps at ``epochLength``); `order`
    /// must be ``order(epoch:)`` of the same epoch (pass it to avoid recomputing it per sample).
    public func plan(epoch: Int, index: Int, order: [Int]? = nil) -> SamplePlan {
        let slot = ((index % epochLength) + epochLength) % epochLength
        let shuffled = order?.count == epochLength ? order ?? [] : self.order(epoch: epoch)
        let e = UInt64(truncatingIfNeeded: epoch)
        var pick = KeyedRandom(seed: seed, keys: [RandomStream.pickB.rawValue, e, UInt64(slot)])
        return SamplePlan(indexA: shuffled[slot] % countA, indexB: pick.nextIndex(below: countB),
                          cropA: crop(keys: [RandomStream.augmentA.rawValue, e, UInt64(slot)]),
                          cropB: crop(keys: [RandomStream.augmentB.rawValue, e, UInt64(slot)]))
    }

    private func crop(keys: [UInt64]) -> SampleCrop {
        var random = KeyedRandom(seed: seed, keys: keys)
        let x = random.nextIndex(below: loadSize - cropSize + 1)
        let y = random.nextIndex(below: loadSize - cropSize + 1)
        let mirrored = random.nextUnitDouble() < 0.5
        return SampleCrop(x: x, y: y, flip: flip && mirrored)
    }

    /// A decoded image as the pipeline caches it: 8-bit RGB, resized (bicubic,
    /// Pillow-exact) to `loadSize` x `loadSize`.
    public func prepare(_ decoded: Image) -> Image {
        let rgb = decoded.rgb8()
        if rgb.width == loadSize && rgb.height == loadSize { return rgb }
        return rgb.resizedBicubic(width: loadSize, height: loadSize)
    }

    /// The crop of a prepared image as CHW floats `[3 * cropSize²]` in [-1, 1].
    /// Nil when `image` is not a prepared (`loadSize`, RGB8) image.
    public func apply(_ crop: SampleCrop, to image: Image) -> [Float]? {
        guard image.width == loadSize, image.height == loadSize, image.channels == 3, image.bitDepth == 8,
              crop.x >= 0, crop.y >= 0, crop.x + cropSize <= loadSize, crop.y + cropSize <= loadSize else { return nil }
        return image.sampleFloats(x: crop.x, y: crop.y, width: cropSize, height: cropSize, flip: crop.flip)
    }
}

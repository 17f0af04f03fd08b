/// The history buffer of generated images the discriminators are trained on
/// (Shrivastava et al. 2017, as in the CycleGAN reference's `ImagePool`).
///
/// While it holds fewer than `capacity` images it stores and returns each
/// query. Once full, with probability 1/2 it returns a random stored image and
/// stores the query in its place, else it returns the query. Images are flat
/// per-sample arrays (`[C*H*W]`), so whoever owns the pool (the single-process
/// trainer, or the cluster coordinator) can run it on images it received.
/// Query image by image in global slot order; the generator state is part of
/// the value and is checkpointed.
public struct ImagePool: Sendable, Equatable {
    /// Maximum number of stored images; 0 makes the pool transparent.
    public let capacity: Int
    /// The stored images, in slot order.
    public private(set) var images: [[Float]]
    /// The pool's random generator (its state is checkpointed).
    public private(set) var random: Xoshiro256

    /// An empty pool drawing from a generator seeded with `seed`.
    public init(capacity: Int, seed: UInt64) {
        self.capacity = max(0, capacity)
        self.images = []
        self.random = Xoshiro256(seed: seed)
    }

    /// A pool restored from a checkpoint. `nil` when more images than `capacity` are given.
    public init?(capacity: Int, images: [[Float]], random: Xoshiro256) {
        guard images.count <= max(0, capacity) else { return nil }
        self.capacity = max(0, capacity)
        self.images = images
        self.random = random
    }

    /// Returns the image to train the discriminator on for this generated `image`.
    public mutating func query(_ image: [Float]) -> [Float] {
        if capacity == 0 { return image }
        if images.count < capacity {
            images.append(image)
            return image
        }
        if random.nextUnitDouble() < 0.5 {
            let slot = random.nextIndex(below: capacity)
            let stored = images[slot]
            images[slot] = image
            return stored
        }
        return image
    }

    /// Queries each image of a batch in order.
    public mutating func query(batch: [[Float]]) -> [[Float]] {
        batch.map { query($0) }
    }
}

/// The validation images of a run's most recent epochs, by epoch (see `GalleryLayout`),
/// held in memory: read once from disk when a process starts, then told about each new
/// epoch (`record`), so that nothing lists the val directory per request or per epoch.
public struct ValidationGallery: Sendable, Codable, Equatable {
    /// One epoch's images.
    public struct Epoch: Sendable, Codable, Equatable {
        public var epoch: Int
        /// Row images, relative to the val directory (`epoch_005/A_0001.png`), sorted by name;
        /// the grid is not among them.
        public var images: [String]
        /// `epoch_005/grid.png` when the epoch has one.
        public var grid: String?

        public init(epoch: Int, images: [String], grid: String? = nil) {
            self.epoch = epoch
            self.images = images
            self.grid = grid
        }
    }

    /// The newest epochs, oldest first (at most `capacity`).
    public var epochs: [Epoch]
    /// Epochs recorded before those kept.
    public var olderEpochs: Int
    /// Epochs kept at most.
    public var capacity: Int

    public init(epochs: [Epoch] = [], olderEpochs: Int = 0, capacity: Int = ValidationGallery.defaultCapacity) {
        self.capacity = max(1, capacity)
        self.epochs = []
        self.olderEpochs = olderEpochs
        for e in epochs { record(e) }
    }

    /// Epochs kept by default: what the dashboard shows (the latest and a strip of earlier ones).
    public static let defaultCapacity = 25
    /// Images listed per epoch at most.
    public static let maxImagesPerEpoch = 64

    /// Epochs recorded in all.
    public var epochCount: Int { olderEpochs + epochs.count }

    /// Adds (or replaces) an epoch, keeping the epochs in order and at most `capacity`.
    public mutating func record(_ epoch: Epoch) {
        if let i = epochs.firstIndex(where: { $0.epoch == epoch.epoch }) {
            epochs[i] = epoch
            return
        }
        if let last = epochs.last, epoch.epoch < last.epoch {
            let i = epochs.firstIndex { $0.epoch > epoch.epoch } ?? epochs.endIndex
            epochs.insert(epoch, at: i)
        } else {
            epochs.append(epoch)
        }
        if epochs.count > capacity {
            olderEpochs += epochs.count - capacity
            epochs.removeFirst(epochs.count - capacity)
        }
    }

    /// Reads one epoch directory (one listing): its servable PNGs, sorted, the grid apart.
    /// Nil when it is missing, not a directory or holds no image.
    public static func readEpoch(_ epoch: Int, in directory: String, files: any GalleryFiles = LocalGalleryFiles()) -> Epoch? {
        let name = GalleryLayout.directoryName(epoch: epoch)
        let path = directory + "/" + name
        guard files.isDirectory(path), let names = files.list(path) else { return nil }
        let servable = names.filter { GalleryLayout.isServableImageName($0) && files.isRegularFile(path + "/" + $0) }.sorted()
        let grid = servable.contains(GalleryLayout.gridName) ? name + "/" + GalleryLayout.gridName : nil
        let images = servable.filter { $0 != GalleryLayout.gridName }.prefix(maxImagesPerEpoch).map { name + "/" + $0 }
        guard !images.isEmpty || grid != nil else { return nil }
        return Epoch(epoch: epoch, images: Array(images), grid: grid)
    }

    /// Lists `directory` once (at start-up): every `epoch_NNN` subdirectory with the images in it.
    /// Symbolic links and odd names are skipped; a missing directory is an empty gallery.
    /// Only the newest `capacity` epochs are read; older ones are counted.
    public static func scan(directory: String, capacity: Int = ValidationGallery.defaultCapacity,
                            files: any GalleryFiles = LocalGalleryFiles()) -> ValidationGallery {
        guard let names = files.list(directory) else { return ValidationGallery(capacity: capacity) }
        let numbers = names.compactMap { GalleryLayout.epochNumber(directoryName: $0) }.sorted()
        var gallery = ValidationGallery(capacity: capacity)
        var skipped = 0
        for number in numbers.reversed() where gallery.epochs.count < gallery.capacity {
            if let e = readEpoch(number, in: directory, files: files) { gallery.record(e) } else { skipped += 1 }
        }
        gallery.olderEpochs = max(0, numbers.count - skipped - gallery.epochs.count)
        return gallery
    }
}

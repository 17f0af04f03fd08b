import Config
import Imaging

/// The fixed images translated at epoch ends: the first `count` files (by
/// name) of `testA` and `testB`, or the files named in the configuration,
/// resized (bicubic) to the crop size. They are decoded one at a time and files
/// declaring more than ``FolderImages/maximumPixels`` are refused from their header,
/// so a few huge validation images cannot exhaust the memory at start.
public struct ValidationSet: Sendable {
    /// One validation image: its file's base name and its CHW floats in [-1, 1].
    public struct Item: Sendable {
        public let name: String
        public let values: [Float]
    }

    /// Side of every image.
    public let size: Int
    public let itemsA: [Item]
    public let itemsB: [Item]
    /// Named or listed files that could not be used.
    public let skipped: [SkippedImage]

    public init(size: Int, itemsA: [Item], itemsB: [Item], skipped: [SkippedImage] = []) {
        self.size = size
        self.itemsA = itemsA
        self.itemsB = itemsB
        self.skipped = skipped
    }

    /// Loads the validation images of the dataset at `root`. Missing `testA`/`testB`
    /// folders give an empty side; a named file that does not exist is reported in ``skipped``.
    public static func load(root: String, validation: ValidationConfig, size: Int) -> ValidationSet {
        func side(_ folder: String, names: [String]) -> ([Item], [SkippedImage]) {
            let directory = root + "/" + folder
            let paths: [String]
            if names.isEmpty {
                paths = Array(((try? FolderImages.list(directory)) ?? []).prefix(max(0, validation.count)))
            } else {
                paths = names.map { directory + "/" + $0 }
            }
            let loaded = FolderImages.load(paths, side: size, concurrently: false)
            let items = zip(loaded.kept, loaded.images).map { path, image in
                Item(name: baseName(path), values: image.chwFloats())
            }
            return (items, loaded.skipped)
        }
        let (a, skippedA) = side("testA", names: validation.imagesA)
        let (b, skippedB) = side("testB", names: validation.imagesB)
        return ValidationSet(size: size, itemsA: a, itemsB: b, skipped: skippedA + skippedB)
    }

    static func baseName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }
}

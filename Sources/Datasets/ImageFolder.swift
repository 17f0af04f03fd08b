import Foundation

/// The image files of one folder: `.jpg`, `.jpeg` and `.png` (any case), found
/// recursively and sorted by path, as CycleGAN's `make_dataset` lists them.
/// Hidden files and folders (a name starting with `.`, such as the `._x.jpg`
/// resource forks that macOS puts in zip files) are left out.
public struct ImageFolder: Sendable, Equatable {
    /// File extensions (lowercase) counted as images.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// The folder.
    public let path: String
    /// Full paths of the images, sorted by their path relative to the folder.
    public let files: [String]

    /// Lists `path`.
    /// - Throws: ``DatasetError/missingFolder(path:)`` when it is not a directory.
    public init(path: String) throws(DatasetError) {
        guard FileIO.isDirectory(path) else { throw .missingFolder(path: path) }
        self.path = path
        var relative: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: path) else {
            throw .io(path: path, reason: "cannot list directory")
        }
        while let entry = walker.nextObject() as? String {
            if (entry as NSString).lastPathComponent.hasPrefix(".") {
                if FileIO.isDirectory(FileIO.join(path, entry)) { walker.skipDescendants() }
                continue
            }
            let ext = (entry as NSString).pathExtension.lowercased()
            if ImageFolder.imageExtensions.contains(ext) && !FileIO.isDirectory(FileIO.join(path, entry)) {
                relative.append(entry)
            }
        }
        relative.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        files = relative.map { FileIO.join(path, $0) }
    }

    /// Whether `name` has an image extension.
    public static func isImageName(_ name: String) -> Bool {
        imageExtensions.contains((name as NSString).pathExtension.lowercased())
    }
}

/// A dataset root in the CycleGAN layout: `ROOT/{trainA,trainB,testA,testB}`.
public struct DatasetLayout: Sendable {
    /// The four folders of the layout.
    public enum Split: String, Sendable, CaseIterable, CustomStringConvertible {
        case trainA, trainB, testA, testB
        public var description: String { rawValue }
    }

    public let root: String
    /// The folders that exist, by split.
    public let folders: [Split: ImageFolder]

    /// Lists the splits under `root`.
    /// - Parameter required: splits that must exist and hold at least one image.
    /// - Throws: ``DatasetError/missingFolder(path:)`` for a missing root or required split.
    public init(root: String, required: [Split] = [.trainA, .trainB]) throws(DatasetError) {
        guard FileIO.isDirectory(root) else { throw .missingFolder(path: root) }
        self.root = root
        var folders: [Split: ImageFolder] = [:]
        for split in Split.allCases {
            let path = FileIO.join(root, split.rawValue)
            if FileIO.isDirectory(path) { folders[split] = try ImageFolder(path: path) }
        }
        for split in required where (folders[split]?.files.isEmpty ?? true) {
            if folders[split] == nil { throw .missingFolder(path: FileIO.join(root, split.rawValue)) }
            throw .invalidArgument("\(FileIO.join(root, split.rawValue)) holds no .jpg/.jpeg/.png images")
        }
        self.folders = folders
    }

    /// The sorted image paths of `split` (empty when the folder is absent).
    public func files(_ split: Split) -> [String] { folders[split]?.files ?? [] }

    /// The path of a split's folder (whether or not it exists).
    public func path(_ split: Split) -> String { FileIO.join(root, split.rawValue) }
}

import Foundation
import Glibc
import Imaging

/// The validation images available, by epoch, read from a run's val directory in the
/// gallery layout (`GalleryLayout`: `epoch_NNN/NAME.png`).
public struct ValidationGallery: Sendable, Codable, Equatable {
    /// One epoch's images.
    public struct Epoch: Sendable, Codable, Equatable {
        public var epoch: Int
        /// Paths relative to the val directory (`epoch_005/A_0001.png`), sorted by name.
        public var images: [String]

        public init(epoch: Int, images: [String]) {
            self.epoch = epoch
            self.images = images
        }
    }

    /// Oldest first.
    public var epochs: [Epoch]

    public init(epochs: [Epoch] = []) { self.epochs = epochs }

    /// Epoch directories listed at most (the newest are kept).
    public static let maxEpochs = 1000
    /// Images listed per epoch at most.
    public static let maxImagesPerEpoch = 64

    /// Lists `directory`: every `epoch_NNN` subdirectory with the PNG files in it
    /// whose names the dashboard serves. Symbolic links and odd names are
    /// skipped; a missing directory is an empty gallery.
    public static func scan(directory: String) -> ValidationGallery {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ValidationGallery() }
        var epochs: [Epoch] = []
        for name in names {
            guard let epoch = GalleryLayout.epoch(directoryName: name),
                  isKind(directory + "/" + name, S_IFDIR),
                  let files = try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + name) else { continue }
            let images = files.filter { isServableImageName($0) && isKind(directory + "/" + name + "/" + $0, S_IFREG) }
                .sorted().prefix(maxImagesPerEpoch).map { name + "/" + $0 }
            if !images.isEmpty { epochs.append(Epoch(epoch: epoch, images: images)) }
        }
        epochs.sort { $0.epoch < $1.epoch }
        return ValidationGallery(epochs: Array(epochs.suffix(maxEpochs)))
    }

    /// Names served: letters, digits, `.`, `_`, `-`, not starting with `.`, ending `.png`, at most 128 characters.
    static func isServableImageName(_ name: String) -> Bool {
        guard name.count <= 128, name.hasSuffix(".png"), name.count > 4, let first = name.unicodeScalars.first,
              first != "." else { return false }
        return name.unicodeScalars.allSatisfy { c in
            c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-")
        }
    }

    /// Whether `path` is (itself, not through a symbolic link) of file type `kind`.
    static func isKind(_ path: String, _ kind: mode_t) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == kind
    }
}

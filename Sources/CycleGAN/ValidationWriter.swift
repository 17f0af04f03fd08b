import Foundation
import Gallery
import Imaging

/// Writes validation rows in the gallery layout (`GalleryLayout`): `VAL/epoch_NNN/<row>.png`,
/// `VAL/epoch_NNN/grid.png` (all rows stacked) and a section appended to `VAL/index.html`.
/// One per run: it remembers which epochs the page has, so an epoch end lists no directory.
public final class ValidationWriter {
    public let validationDirectory: String
    private let index: GalleryIndexFile

    /// - Parameter validationDirectory: e.g. `checkpoints/NAME/val`.
    public init(validationDirectory: String, files: any GalleryFiles = LocalGalleryFiles()) {
        self.validationDirectory = validationDirectory
        index = GalleryIndexFile(validationDirectory: validationDirectory, files: files)
    }

    /// Writes `rows` for `epoch` and adds the epoch to `index.html`. Returns the epoch's directory.
    @discardableResult
    public func write(rows: [ValidationRow], epoch: Int) throws(CycleGANError) -> String {
        let name = GalleryLayout.directoryName(epoch: epoch)
        let directory = validationDirectory + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .output(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        for row in rows {
            try writeFile(directory + "/" + row.name + ".png", bytes: PNGEncoder.encode(row.image))
        }
        var grid: String?
        if let image = Image.verticalConcatenation(rows.map(\.image)) {
            try writeFile(directory + "/" + GalleryLayout.gridName, bytes: PNGEncoder.encode(image))
            grid = name + "/" + GalleryLayout.gridName
        }
        let images = rows.map { name + "/" + $0.name + ".png" }.sorted()
        do { try index.add(ValidationGallery.Epoch(epoch: epoch, images: images, grid: grid)) }
        catch { throw .output(path: error.path, reason: error.reason) }
        return directory
    }

    func writeFile(_ path: String, bytes: [UInt8]) throws(CycleGANError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .output(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}

import Foundation
import Imaging

/// Writes validation rows to disk in the gallery layout (`GalleryLayout`): a PNG per row and
/// the epoch's grid in `VAL/epoch_NNN/`, and `VAL/index.html`, every epoch's rows side by side.
public enum ValidationGalleryWriter {
    /// The directory of one epoch's images inside `validationDirectory`.
    public static func epochDirectory(_ validationDirectory: String, epoch: Int) -> String {
        validationDirectory + "/" + GalleryLayout.directoryName(epoch: epoch)
    }

    /// Writes `rows` for `epoch` under `validationDirectory` (e.g. `checkpoints/NAME/val`)
    /// and regenerates `index.html`. Returns the epoch's directory.
    @discardableResult
    public static func write(rows: [ValidationRow], epoch: Int, validationDirectory: String) throws(CycleGANError) -> String {
        let directory = epochDirectory(validationDirectory, epoch: epoch)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .output(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        for row in rows {
            try writeFile(directory + "/" + row.name + ".png", bytes: PNGEncoder.encode(row.image))
        }
        if let grid = Image.verticalConcatenation(rows.map(\.image)) {
            try writeFile(directory + "/" + GalleryLayout.gridName, bytes: PNGEncoder.encode(grid))
        }
        try writeIndex(validationDirectory: validationDirectory)
        return directory
    }

    /// Regenerates `index.html` from the `epoch_*` directories present.
    public static func writeIndex(validationDirectory: String) throws(CycleGANError) {
        let fileManager = FileManager.default
        let epochs = ((try? fileManager.contentsOfDirectory(atPath: validationDirectory)) ?? [])
            .filter { GalleryLayout.epoch(directoryName: $0) != nil }
            .sorted()
        var names = Set<String>()
        var present: [String: Set<String>] = [:]
        for epoch in epochs {
            let files = ((try? fileManager.contentsOfDirectory(atPath: validationDirectory + "/" + epoch)) ?? [])
                .filter { $0.hasSuffix(".png") && $0 != GalleryLayout.gridName }
            present[epoch] = Set(files)
            names.formUnion(files)
        }
        var html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Validation images</title>
            <style>body{font-family:sans-serif;background:#111;color:#eee}td,th{padding:4px;vertical-align:top}
            img{display:block;max-width:480px}</style></head><body>
            <h1>Validation: real | translated | reconstructed</h1>
            <table><tr><th>image</th>
            """
        for epoch in epochs { html += "<th>\(escape(epoch)) <a href=\"\(escape(epoch))/\(GalleryLayout.gridName)\">grid</a></th>" }
        html += "</tr>\n"
        for name in names.sorted() {
            html += "<tr><td>\(escape(name))</td>"
            for epoch in epochs {
                if present[epoch]?.contains(name) == true {
                    html += "<td><img src=\"\(escape(epoch))/\(escape(name))\" alt=\"\(escape(name)) \(escape(epoch))\"></td>"
                } else {
                    html += "<td></td>"
                }
            }
            html += "</tr>\n"
        }
        html += "</table></body></html>\n"
        try writeFile(validationDirectory + "/" + GalleryLayout.indexName, bytes: Array(html.utf8))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func writeFile(_ path: String, bytes: [UInt8]) throws(CycleGANError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .output(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}

import Foundation

/// A failure writing the gallery's files.
public struct GalleryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// `val/index.html`, grown by one section per epoch: the page is written once (a header)
/// and each new epoch is appended, so the work at an epoch end does not depend on how
/// many epochs came before. The epochs already on the page are read once per process
/// (from the page itself); a page of an older format is rewritten once from the val directory.
public final class GalleryIndexFile {
    public let validationDirectory: String
    private let files: any GalleryFiles
    /// Epochs on the page; nil until the page was first looked at.
    private var present: Set<Int>?

    /// Marks a page this writer can append to.
    static let marker = "<!-- herd gallery: one section per epoch, appended -->"

    public init(validationDirectory: String, files: any GalleryFiles = LocalGalleryFiles()) {
        self.validationDirectory = validationDirectory
        self.files = files
    }

    public var path: String { validationDirectory + "/" + GalleryLayout.indexName }

    /// Adds an epoch's section (nothing when the page already has it: its files were rewritten in place).
    public func add(_ epoch: ValidationGallery.Epoch) throws(GalleryError) {
        var present: Set<Int>
        if let known = self.present { present = known } else { present = try load() }
        self.present = present
        guard !present.contains(epoch.epoch) else { return }
        try append(Self.section(epoch))
        present.insert(epoch.epoch)
        self.present = present
    }

    /// The epochs on an existing page of this format; otherwise writes the page afresh
    /// from the epoch directories present (once).
    private func load() throws(GalleryError) -> Set<Int> {
        if let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8), text.contains(Self.marker) {
            var epochs = Set<Int>()
            for part in text.components(separatedBy: "<section id=\"epoch_").dropFirst() {
                if let n = Int(part.prefix { $0.isNumber }) { epochs.insert(n) }
            }
            return epochs
        }
        let numbers = (files.list(validationDirectory) ?? []).compactMap { GalleryLayout.epochNumber(directoryName: $0) }.sorted()
        let existing = numbers.compactMap { ValidationGallery.readEpoch($0, in: validationDirectory, files: files) }
        try write(Self.header + existing.map(Self.section).joined())
        return Set(existing.map(\.epoch))
    }

    private func write(_ text: String) throws(GalleryError) {
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) }
        catch { throw GalleryError(path: path, reason: "cannot write: \(error.localizedDescription)") }
    }

    private func append(_ text: String) throws(GalleryError) {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw GalleryError(path: path, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw GalleryError(path: path, reason: "cannot append: \(error.localizedDescription)")
        }
    }

    /// The page's head: readable links on the dark background, images scaled up with
    /// their pixels kept sharp, a click zooms an image (and again shrinks it).
    static let header = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Validation images</title>
        \(marker)
        <style>
        body{font-family:system-ui,sans-serif;background:#111;color:#eee;margin:16px}
        a{color:#7cc4ff}a:visited{color:#c9a6ff}a:hover{color:#fff}
        section{margin:0 0 18px;border-top:1px solid #333;padding-top:6px}
        h2{font-size:15px;margin:4px 0 8px;font-weight:600}
        .rows{display:flex;flex-wrap:wrap;gap:10px}
        figure{margin:0}figcaption{font-size:12px;color:#aaa}
        img{display:block;height:128px;min-height:128px;image-rendering:pixelated;cursor:zoom-in;background:#222}
        img.zoom{height:auto;width:min(96vw,1200px);cursor:zoom-out}
        </style>
        <script>document.addEventListener('click',function(e){if(e.target.tagName==='IMG'){e.target.classList.toggle('zoom')}})</script>
        </head><body>
        <h1>Validation: real | translated | reconstructed</h1>
        <p>One section per epoch, oldest first; click an image to zoom.</p>

        """

    static func section(_ epoch: ValidationGallery.Epoch) -> String {
        let directory = GalleryLayout.directoryName(epoch: epoch.epoch)
        var out = "<section id=\"\(directory)\"><h2>epoch \(epoch.epoch)"
        if let grid = epoch.grid { out += " · <a href=\"\(escape(grid))\">grid</a>" }
        out += "</h2><div class=\"rows\">"
        for image in epoch.images {
            let name = image.split(separator: "/").last.map(String.init) ?? image
            let caption = name.hasSuffix(".png") ? String(name.dropLast(4)) : name
            out += "<figure><img src=\"\(escape(image))\" alt=\"\(escape(caption)) epoch \(epoch.epoch)\" title=\"\(escape(caption))\"><figcaption>\(escape(caption))</figcaption></figure>"
        }
        return out + "</div></section>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

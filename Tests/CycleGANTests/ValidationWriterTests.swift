import Foundation
import Gallery
import Imaging
import Locking
import Testing
@testable import CycleGAN

/// The real file system, counting directory listings.
private final class CountingFiles: GalleryFiles {
    private let count = Locked(0)
    private let real = LocalGalleryFiles()
    var listings: Int { count.withLock { $0 } }
    func list(_ directory: String) -> [String]? {
        count.withLock { $0 += 1 }
        return real.list(directory)
    }
    func isDirectory(_ path: String) -> Bool { real.isDirectory(path) }
    func isRegularFile(_ path: String) -> Bool { real.isRegularFile(path) }
}

@Suite struct ValidationWriterTests {
    private func rows(_ names: [String]) -> [ValidationRow] {
        names.map { ValidationRow(name: $0, image: Image(width: 6, height: 2, channels: 3)) }
    }

    @Test func epochEndsListNoDirectoryAndAppendOneSectionToTheIndex() throws {
        let root = NSTemporaryDirectory() + "herd-val-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A run of 60 epochs so far, written by an earlier process.
        let earlier = ValidationWriter(validationDirectory: root)
        for epoch in 1...60 { try earlier.write(rows: rows(["A_x", "B_y"]), epoch: epoch) }
        let files = CountingFiles()
        let writer = ValidationWriter(validationDirectory: root, files: files)
        let sizeBefore = try Data(contentsOf: URL(fileURLWithPath: root + "/index.html")).count
        try writer.write(rows: rows(["A_x", "B_y"]), epoch: 61)
        // The page is read once per process (it holds its epochs); no listing at all.
        #expect(files.listings == 0)
        for epoch in 62...70 { try writer.write(rows: rows(["A_x", "B_y"]), epoch: epoch) }
        #expect(files.listings == 0, "epoch ends must not list the val directory")
        let html = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        let sections = html.components(separatedBy: "<section id=\"epoch_").count - 1
        #expect(sections == 70)
        // Appended: the new epochs add their own sections, nothing is rewritten.
        let perEpoch = (html.utf8.count - sizeBefore) / 10
        #expect(perEpoch < 600, "\(perEpoch) bytes per epoch")
        #expect(html.contains("<section id=\"epoch_070\"><h2>epoch 70 · <a href=\"epoch_070/grid.png\">grid</a>"))
        #expect(html.contains("src=\"epoch_070/B_y.png\""))
        // Readable on the dark page, scaled up sharp, zoomable.
        #expect(html.contains("a{color:#7cc4ff}"))
        #expect(html.contains("image-rendering:pixelated") && html.contains("classList.toggle('zoom')"))
        // Rewriting an epoch (a resumed run redoing it) adds no second section.
        try writer.write(rows: rows(["A_x", "B_y"]), epoch: 70)
        let again = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        #expect(again.components(separatedBy: "<section id=\"epoch_").count - 1 == 70)
    }

    @Test func anIndexOfTheOldFormatIsRewrittenOnceFromTheEpochDirectories() throws {
        let root = NSTemporaryDirectory() + "herd-val-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let earlier = ValidationWriter(validationDirectory: root)
        for epoch in 1...3 { try earlier.write(rows: rows(["A_x"]), epoch: epoch) }
        try "<html><table>old</table></html>".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
        let files = CountingFiles()
        let writer = ValidationWriter(validationDirectory: root, files: files)
        try writer.write(rows: rows(["A_x"]), epoch: 4)
        let html = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        #expect(!html.contains("<table>old</table>"))
        #expect(html.components(separatedBy: "<section id=\"epoch_").count - 1 == 4)
        try writer.write(rows: rows(["A_x"]), epoch: 5)
        #expect(files.listings == 1 + 4, "the old page costs one listing of val/ and of each epoch, once")
    }
}

import Foundation
import Testing
@testable import Datasets
@testable import Imaging

@Suite struct DatasetLayoutTests {
    @Test func listsImagesRecursivelySortedAndIgnoresOtherFiles() throws {
        let root = Fixtures.temporaryDirectory("layout")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let png = PNGEncoder.encode(Image(width: 2, height: 2, channels: 3))
        for name in ["trainA/b.png", "trainA/a.PNG", "trainA/sub/c.jpg", "trainA/notes.txt", "trainA/z.jpeg",
                     "trainB/x.png"] {
            try Fixtures.write(png, root + "/" + name)
        }
        let layout = try DatasetLayout(root: root)
        #expect(layout.files(.trainA).map { ($0 as NSString).lastPathComponent } == ["a.PNG", "b.png", "c.jpg", "z.jpeg"])
        #expect(layout.files(.trainB).count == 1)
        #expect(layout.files(.testA).isEmpty)
        #expect(throws: DatasetError.self) { try DatasetLayout(root: root, required: [.testA]) }
        #expect(throws: DatasetError.missingFolder(path: root + "/nope")) { try DatasetLayout(root: root + "/nope") }
    }

    @Test func hiddenFilesAndFoldersAreNotImages() throws {
        let root = Fixtures.temporaryDirectory("hidden")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let png = PNGEncoder.encode(Image(width: 2, height: 2, channels: 3))
        for name in ["trainA/a.png", "trainA/._a.png", "trainA/.thumbs/b.png", "trainB/x.png"] {
            try Fixtures.write(png, root + "/" + name)
        }
        #expect(try DatasetLayout(root: root).files(.trainA) == [root + "/trainA/a.png"])
    }

    @Test func checkReportsMissingOrEmptyTrainingFolders() throws {
        let root = Fixtures.temporaryDirectory("untrainable")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Fixtures.write(PNGEncoder.encode(Image(width: 4, height: 4, channels: 3)), root + "/trainA/a.png")
        try Fixtures.write(Array("notes".utf8), root + "/testB/readme.txt")
        let check = try DatasetCheck.run(root: root)
        #expect(check.missingTraining == [.trainB])
        #expect(!check.isClean && !check.isTrainable)
        #expect(check.text().contains("trainB: missing (training needs \(root)/trainB)"))
        try FileManager.default.createDirectory(atPath: root + "/trainB", withIntermediateDirectories: true)
        #expect(try DatasetCheck.run(root: root).text().contains("trainB: holds no .jpg/.jpeg/.png image"))
        try Fixtures.write(Array("not an image".utf8), root + "/trainB/broken.png")
        #expect(try !DatasetCheck.run(root: root).isTrainable, "trainB holds no image that decodes: herd train refuses it")
        try Fixtures.write(PNGEncoder.encode(Image(width: 4, height: 4, channels: 3, pixels: [UInt8](repeating: 9, count: 48))), root + "/trainB/b.png")
        let usable = try DatasetCheck.run(root: root)
        #expect(usable.isTrainable && !usable.isClean, "herd train skips broken.png and trains: a warning, not a failure")
        try FileManager.default.removeItem(atPath: root + "/trainB/broken.png")
        #expect(try DatasetCheck.run(root: root).isClean)
    }

    @Test func testFoldersAloneAreNotTrainable() throws {
        let root = Fixtures.temporaryDirectory("testonly")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Fixtures.write(PNGEncoder.encode(Image(width: 4, height: 4, channels: 3)), root + "/testA/a.png")
        try Fixtures.write(PNGEncoder.encode(Image(width: 4, height: 4, channels: 3)), root + "/testB/b.png")
        let check = try DatasetCheck.run(root: root)
        #expect(!check.isTrainable && check.missingTraining == [.trainA, .trainB])
    }

    @Test func scanSeparatesGoodFromBadFilesWithReasons() throws {
        let dir = Fixtures.temporaryDirectory("scan")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = PNGEncoder.encode(Image(width: 40, height: 30, channels: 3))
        try Fixtures.write(good, dir + "/good.png")
        try Fixtures.write(Array(good.prefix(good.count / 2)), dir + "/truncated.png")
        try Fixtures.write(Array("not an image".utf8), dir + "/text.jpg")
        try Fixtures.write(PNGEncoder.encode(Image(width: 10, height: 10, channels: 1)), dir + "/small.png")
        let files = try ImageFolder(path: dir).files
        let report = ImageScan.scan(files, minimumSize: 20)
        #expect(report.good.map { ($0 as NSString).lastPathComponent } == ["good.png"])
        let reasons = Dictionary(uniqueKeysWithValues: report.bad.map { (($0.path as NSString).lastPathComponent, $0.reason) })
        #expect(reasons["truncated.png"]?.contains("truncated") == true)
        #expect(reasons["text.jpg"]?.contains("not a JPEG or PNG") == true)
        #expect(reasons["small.png"]?.contains("smaller than 20x20") == true)
        #expect(report.summary.contains("skipping 3"))
        // Header-only scans are cheaper and miss the truncated pixel data.
        #expect(ImageScan.scan(files, depth: .headers).bad.count == 1)
    }

    @Test(.enabled(if: Fixtures.shared != nil, Fixtures.missing))
    func checkFindsBadGrayOddAndDuplicateFiles() throws {
        let shared = try #require(Fixtures.shared)
        let root = Fixtures.temporaryDirectory("check")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let conformance = shared + "/data/codec-conformance/"
        for name in ["n02381460_4530.jpg", "n02381460_510.jpg"] {
            try Fixtures.copy(shared + "/data/horse2zebra-sample/testA/" + name, root + "/trainA/" + name)
        }
        try Fixtures.copy(shared + "/data/horse2zebra-sample/testB/n02391049_1760.jpg", root + "/trainB/z.jpg")
        try Fixtures.copy(conformance + "n02381460_510_gray.jpg", root + "/testA/gray.jpg")
        try Fixtures.copy(conformance + "n02381460_510_odd_size.jpg", root + "/testA/odd.jpg")
        try Fixtures.copy(conformance + "n02381460_510_original.jpg", root + "/testA/plain.jpg")
        try Fixtures.copy(shared + "/data/horse2zebra-sample/testA/n02381460_510.jpg", root + "/testB/copy.jpg")
        let bytes = try ImageCodec.readFile(conformance + "n02381460_510_q75_420.jpg")
        try Fixtures.write(Array(bytes.prefix(4000)), root + "/testB/broken.jpg")

        var sampled: [DatasetLayout.Split: Int] = [:]
        let check = try DatasetCheck.run(root: root, sampleSink: { split, _, _ in sampled[split, default: 0] += 1 })
        let byFolder = Dictionary(uniqueKeysWithValues: check.folders.map { ($0.split, $0) })
        #expect(byFolder[.trainA]?.count == 2)
        #expect(byFolder[.testA]?.grayscale.map { ($0 as NSString).lastPathComponent } == ["gray.jpg"])
        #expect(byFolder[.testA]?.oddSize.map { ($0 as NSString).lastPathComponent } == ["odd.jpg"])
        #expect(byFolder[.testB]?.bad.count == 1)
        #expect(byFolder[.testB]?.bad.first?.reason.contains("truncated") == true)
        // The conformance "original" is the horse2zebra file itself: three identical files.
        #expect(check.duplicates.count == 1)
        #expect(check.duplicates.first?.map { ($0 as NSString).lastPathComponent } == ["plain.jpg", "copy.jpg", "n02381460_510.jpg"])
        #expect(!check.isClean)
        #expect(sampled[.testA] == 3 && sampled[.testB] == 1)
        let text = check.text()
        #expect(text.contains("do not decode: 1") && text.contains("exact duplicates: 1 groups"))
    }

    @Test func contactSheetHasARowPerFolderAndLabels() {
        var sheet = ContactSheet(thumbnailSize: 16)
        let red = Image(width: 30, height: 20, channels: 3, pixels: [UInt8](repeating: 0, count: 30 * 20 * 3).enumerated().map { $0.offset % 3 == 0 ? 255 : 0 })
        sheet.addRow(label: "trainA", images: [red, red, red])
        sheet.addRow(label: "testB", images: [red])
        let image = sheet.render()
        #expect(image.height == 4 + 2 * (16 + 4))
        #expect(image.width == 4 + (6 * TinyFont.advance + 4) + 3 * (16 + 4))
        // The label column has light text pixels; thumbnails are red.
        let labelPixels = (0..<image.height).flatMap { y in (0..<40).map { x in image.pixels[(y * image.width + x) * 3] } }
        #expect(labelPixels.contains(230))
        let thumbCenter = ((4 + 8) * image.width + 4 + 6 * TinyFont.advance + 4 + 8) * 3
        #expect(image.pixels[thumbCenter] == 255 && image.pixels[thumbCenter + 1] == 0)
    }
}

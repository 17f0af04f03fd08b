import Foundation
import Testing
@testable import Datasets
@testable import Imaging

/// Builds a small PubFig-like set (urls file with real MD5s and face rectangles, downloaded files
/// named in all the accepted ways, plus a wrong MD5, a tiny face, a missing file, an exact and a
/// re-encoded duplicate) and a selfie-like set from the shared selfie sample, then runs Selfie2Cage.
@Suite(.enabled(if: Fixtures.shared != nil, Fixtures.missing))
struct Selfie2CageTests {
    struct Fixture {
        var root: String
        var options: Selfie2Cage.Options
        var selfieNames: [String]
    }

    static func makeFixture() throws -> Fixture {
        let shared = try #require(Fixtures.shared)
        let root = Fixtures.temporaryDirectory("selfie2cage")
        // Selfies: the first 20 sample photos, a byte copy of one under another name, a listed-but-absent one.
        let sampleDir = shared + "/data/selfie-sample"
        let samples = Array(Fixtures.sortedFiles(sampleDir).filter { $0.hasSuffix(".jpg") }.prefix(26))
        let selfies = Array(samples.prefix(20))
        var lines: [String] = []
        for (k, file) in selfies.enumerated() {
            try Fixtures.copy(sampleDir + "/" + file, root + "/selfie/images/" + file)
            lines.append(selfieLine(name: String(file.dropLast(4)), k: k))
        }
        try Fixtures.copy(sampleDir + "/" + selfies[1], root + "/selfie/images/copy_of_1.jpg")
        lines.append(selfieLine(name: "copy_of_1", k: 1))
        lines.append(selfieLine(name: "absent_selfie", k: 1))
        try Fixtures.write(Array(lines.joined(separator: "\n").utf8), root + "/selfie/selfie_dataset.txt")

        // PubFig: horse2zebra photos and the remaining selfie samples stand in for downloads.
        let h2z = shared + "/data/horse2zebra-sample"
        let photos = ["testA/n02381460_4530.jpg", "testA/n02381460_4660.jpg", "testA/n02381460_510.jpg",
                      "testB/n02391049_1760.jpg", "testB/n02391049_3070.jpg", "testB/n02391049_5100.jpg"]
            .map { h2z + "/" + $0 } + samples.suffix(6).map { sampleDir + "/" + $0 }
        let images = root + "/pubfig"
        var urls = ["# PubFig Dataset v1.2 - dev_urls.txt - test fixture", "#\tperson\timagenum\turl\trect\tmd5sum"]
        func row(_ n: Int, _ rect: String, _ md5: String, person: String = "Nicolas Cage") {
            urls.append("\(person)\t\(n)\thttp://example.com/\(n).jpg\t\(rect)\t\(md5)")
        }
        func md5(_ path: String) throws -> String { MD5.hex(try ImageCodec.readFile(path)) }
        let face = "60,60,200,200"
        // 1: spaces in the name. 2: underscores. 3: named by MD5. 4: wrong MD5. 5: tiny face. 6: not downloaded.
        try Fixtures.copy(photos[0], images + "/Nicolas Cage_1.jpg")
        row(1, face, try md5(photos[0]))
        try Fixtures.copy(photos[1], images + "/Nicolas_Cage_2.jpg")
        row(2, face, try md5(photos[1]))
        try Fixtures.copy(photos[2], images + "/" + (try md5(photos[2])) + ".jpg")
        row(3, face, try md5(photos[2]))
        try Fixtures.copy(photos[3], images + "/Nicolas Cage_4.jpg")
        row(4, face, String(repeating: "0", count: 32))
        try Fixtures.copy(photos[4], images + "/Nicolas Cage_5.jpg")
        row(5, "10,10,50,50", try md5(photos[4]))
        row(6, face, try md5(photos[5]))
        // 7: the same file as 1 again. 8: image 2 re-encoded as PNG after a JPEG round trip (a near-duplicate).
        try Fixtures.copy(photos[0], images + "/Nicolas Cage_7.jpg")
        row(7, face, try md5(photos[0]))
        let reencoded = PNGEncoder.encode(try ImageCodec.decode(JPEGEncoder.encode(try ImageCodec.decode(file: photos[1]), quality: 70)))
        try Fixtures.write(reencoded, images + "/Nicolas Cage_8.png")
        row(8, face, MD5.hex(reencoded))
        // 9-14: distinct photos, the last two selfie samples with a face rect reaching past the image edge.
        for (n, photo) in zip(9...14, photos[5...]) {
            try Fixtures.copy(photo, images + "/Nicolas Cage_\(n).jpg")
            row(n, n >= 13 ? "200,150,320,290" : face, try md5(photo))
        }
        // Another person's rows are ignored.
        row(1, face, try md5(photos[0]), person: "Other Person")
        try Fixtures.write(Array(urls.joined(separator: "\n").utf8), root + "/dev_urls.txt")

        var options = Selfie2Cage.Options(selfieRoot: root + "/selfie", pubfigURLs: root + "/dev_urls.txt",
                                          person: "nicolas_cage", pubfigImages: images, output: root + "/out")
        options.exclude = ["partial_faces", "wearing_sunglasses"]
        options.loadSize = 64
        options.testFraction = 0.25
        return Fixture(root: root, options: options, selfieNames: selfies.map { String($0.dropLast(4)) })
    }

    /// Attributes: partial_faces when k % 5 == 4, wearing_sunglasses when k % 7 == 6, is_female when k is even.
    static func selfieLine(name: String, k: Int) -> String {
        var values = [Int](repeating: -1, count: 36)
        if k % 5 == 4 { values[0] = 1 }
        if k % 2 == 0 { values[1] = 1 }
        if k % 7 == 6 { values[18] = 1 }
        return ([name, String(format: "%.3f", 3.5 + Double(k) / 10)] + values.map(String.init)).joined(separator: " ")
    }

    @Test func buildsBothDomainsAndReportsEveryRejection() throws {
        let fixture = try Self.makeFixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.root) }
        let report = try Selfie2Cage.run(fixture.options)
        let p = report.pubfig
        #expect(p.rows == 14)
        #expect(p.downloaded == 13 && p.missing == 1)
        #expect(p.md5Mismatch == 1 && p.md5OK == 12)
        #expect(p.tooSmall == 1)
        #expect(p.duplicates == 2)
        #expect(p.kept == 9)
        #expect(p.train + p.test == 9 && p.test == 2)

        // Selfies: 22 rows; k = 4, 9, 14, 19 partial, 6, 13 sunglasses -> 6 excluded; one absent; one copy.
        let s = report.selfies
        #expect(s.rows == 22)
        #expect(s.excludedByAttributes == 6)
        #expect(s.missing == 1)
        #expect(s.duplicates == 1)
        #expect(s.kept == 14)
        #expect(s.train + s.test == 14 && s.test == 4)

        let out = fixture.options.output
        for (folder, count) in [("trainA", s.train), ("testA", s.test), ("trainB", p.train), ("testB", p.test)] {
            let files = Fixtures.sortedFiles(out + "/" + folder)
            #expect(files.count == count, "\(folder)")
            for file in files {
                let image = try ImageCodec.decode(file: out + "/" + folder + "/" + file)
                #expect(image.width == 64 && image.height == 64)
            }
        }
        // No picture on both sides of a split.
        #expect(Set(Fixtures.sortedFiles(out + "/trainB")).isDisjoint(with: Fixtures.sortedFiles(out + "/testB")))
        #expect(report.notes.contains { $0.contains("MD5") && $0.contains("Nicolas Cage_4") })
        #expect(report.notes.contains { $0.contains("Nicolas Cage_8") && $0.contains("near-duplicate") })
        #expect(report.text.contains("13 downloaded") && report.text.contains("kept 9"))
    }

    @Test func splitIsDeterministicAndSeedDependent() throws {
        let fixture = try Self.makeFixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.root) }
        var options = fixture.options
        options.exclude = []
        options.loadSize = 32
        func testSet(_ seed: UInt64, _ out: String) throws -> [String] {
            options.seed = seed
            options.output = fixture.root + "/" + out
            _ = try Selfie2Cage.run(options)
            return Fixtures.sortedFiles(options.output + "/testA")
        }
        let first = try testSet(1, "a"), again = try testSet(1, "b")
        #expect(first == again)
        let other = try testSet(2, "c")
        #expect(first != other)
        // Refuses to mix into an existing dataset.
        options.output = fixture.root + "/a"
        #expect(throws: DatasetError.self) { try Selfie2Cage.run(options) }
    }

    @Test func unknownAttributesAndPeopleAreNamed() throws {
        let fixture = try Self.makeFixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.root) }
        var options = fixture.options
        options.exclude = ["wearing_sunglases"]
        #expect {
            try Selfie2Cage.run(options)
        } throws: { error in
            (error as? DatasetError)?.description.contains("wearing_sunglases") == true
        }
        options.exclude = []
        options.person = "Nobody"
        #expect {
            try Selfie2Cage.run(options)
        } throws: { error in
            (error as? DatasetError)?.description.contains("Nobody") == true
        }
    }

    @Test func noUsableFaceFailsAndSaysHowToFetchThem() throws {
        let fixture = try Self.makeFixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.root) }
        var options = fixture.options
        // An empty folder, then only a file with the wrong content.
        options.pubfigImages = fixture.root + "/empty"
        try FileManager.default.createDirectory(atPath: options.pubfigImages, withIntermediateDirectories: true)
        for expected in ["no image of Nicolas Cage", "none of the 1 images"] {
            #expect {
                try Selfie2Cage.run(options)
            } throws: { error in
                let text = (error as? DatasetError)?.description ?? ""
                return text.contains(expected) && text.contains("herd data pubfig --urls")
            }
            try Fixtures.write(Array("not the listed file".utf8), options.pubfigImages + "/Nicolas_Cage_1.jpg")
        }
        #expect(Fixtures.sortedFiles(options.output + "/trainA").isEmpty, "no selfie work before the faces are known")
    }
}

@Suite struct MetadataParsingTests {
    @Test(.enabled(if: Fixtures.shared != nil, Fixtures.missing))
    func parsesTheRealPubFigDevURLs() throws {
        let path = try #require(Fixtures.shared) + "/data/pubfig/dev_urls.txt"
        let text = String(decoding: try ImageCodec.readFile(path), as: UTF8.self)
        let urls = try PubFigURLs(text: text, file: path)
        #expect(urls.rows.count > 1000)
        let first = try #require(urls.rows.first)
        #expect(first.person == "Abhishek Bachan" && first.imageNumber == 1)
        #expect((first.x0, first.y0, first.x1, first.y1) == (183, 60, 297, 174))
        #expect(first.md5 == "f533da9fbd1c770428c8961f3fa48950")
        #expect(PubFigURLs.samePerson("abhishek_bachan", first.person))
    }

    @Test func malformedLinesAreReportedWithTheirNumber() {
        #expect(throws: DatasetError.badLine(file: "u.txt", line: 2, reason: "face rectangle '1,2,3' is not x0,y0,x1,y1")) {
            try PubFigURLs(text: "# header\nA B\t1\thttp://x\t1,2,3\t" + String(repeating: "a", count: 32), file: "u.txt")
        }
        #expect {
            try SelfieDataset(text: "img 3.2 1 -1", file: "s.txt")
        } throws: { error in
            guard case .badLine(_, 1, let reason) = error as? DatasetError else { return false }
            return reason.contains("36 attributes")
        }
        let row = (["x", "1.5"] + ["1"] + [String](repeating: "-1", count: 35)).joined(separator: " ")
        let parsed = try? SelfieDataset(text: row + "\n", file: "s.txt")
        #expect(parsed?.rows.first?.has("partial_faces") == true)
        #expect(parsed?.rows.first?.has("is_female") == false)
        #expect(SelfieDataset.attributeNames.count == 36)
    }

    @Test func perceptualHashToleratesReencodingButSeparatesPictures() throws {
        let a = SyntheticDataset.sample(domain: .a, size: 64, seed: 1, index: 0)
        let b = SyntheticDataset.sample(domain: .a, size: 64, seed: 1, index: 1)
        let reencoded = try ImageCodec.decode(JPEGEncoder.encode(a, quality: 60)).resizedBicubic(width: 80, height: 80)
        #expect(PerceptualHash(a).distance(to: PerceptualHash(reencoded)) <= 6)
        #expect(PerceptualHash(a).distance(to: PerceptualHash(b)) > 6)
    }
}

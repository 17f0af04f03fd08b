import Foundation
import Testing
@testable import Datasets
@testable import Imaging

/// `herd data download` and `herd data pubfig` against a scripted server on 127.0.0.1.
@Suite struct DownloadTests {
    /// Every file of a synthetic CycleGAN data set below `top/`, as zip entries.
    static func syntheticFiles(top: String) throws -> [(path: String, bytes: [UInt8])] {
        let dir = Fixtures.temporaryDirectory("synth")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SyntheticDataset.write(to: dir, size: 16, count: 4, seed: 3)
        var files: [(path: String, bytes: [UInt8])] = []
        for split in ["trainA", "trainB", "testA", "testB"] {
            for name in Fixtures.sortedFiles(dir + "/" + split) {
                files.append(("\(top)/\(split)/\(name)", try FileIO.read("\(dir)/\(split)/\(name)")))
            }
        }
        return files
    }

    static func fastOptions(timeout: Double = 5, attempts: Int = 3) -> FileDownload.Options {
        var options = FileDownload.Options()
        options.timeout = timeout
        options.attempts = attempts
        options.retryDelay = 0.05
        return options
    }

    @Test func zipDownloadUnpacksIntoTheCycleGANLayoutThatDataCheckAccepts() throws {
        let files = try Self.syntheticFiles(top: "horse2zebra")
        let zip = ZipArchive.make([("horse2zebra/", [])] + files)
        let server = try LocalHTTPServer { LocalHTTPServer.rangeReply(["/horse2zebra.zip": zip], $0) }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("zip")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var reported: Int64 = 0
        let fetched = try FileDownload.fetch(server.url + "/horse2zebra.zip", to: root + "/horse2zebra.zip",
                                             options: Self.fastOptions()) { bytes, _ in reported = bytes }
        #expect(fetched == Int64(zip.count))
        #expect(reported == Int64(zip.count))
        let folder = try ArchiveUnpacker.unpack(root + "/horse2zebra.zip", kind: .zip, root: root, name: "horse2zebra")
        #expect(folder == root + "/horse2zebra")
        let check = try DatasetCheck.run(root: folder)
        #expect(check.isClean)
        #expect(check.folders.map(\.count) == [4, 4, 2, 2])
        for file in files {
            let local = root + "/" + file.path
            #expect(try FileIO.read(local) == file.bytes, "\(local)")
        }
        // No staging folder is left behind.
        #expect(Fixtures.sortedFiles(root) == ["horse2zebra", "horse2zebra.zip"])
    }

    @Test func tarGzDownloadUnpacksTheSelfieLayout() throws {
        let longName = "Selfie-dataset/images/" + String(repeating: "a", count: 120) + "_6.jpg"
        let entries: [(String, [UInt8])] = [
            ("Selfie-dataset/selfie_dataset.txt", Array("x 1.0\n".utf8)),
            ("Selfie-dataset/images/one_6.jpg", (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }),
            (longName, Array(repeating: 9, count: 513)),
        ]
        let archive = Gzip.compress(TarWriting.tar(entries))
        let server = try LocalHTTPServer { LocalHTTPServer.rangeReply(["/Selfie-dataset.tar.gz": archive], $0) }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("targz")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileDownload.fetch(server.url + "/Selfie-dataset.tar.gz", to: root + "/s.tar.gz", options: Self.fastOptions())
        let folder = try ArchiveUnpacker.unpack(root + "/s.tar.gz", kind: .tarGz, root: root, name: "selfie")
        #expect(folder == root + "/selfie")
        for (path, bytes) in entries {
            let local = folder + "/" + path.dropFirst("Selfie-dataset/".count)
            #expect(try FileIO.read(local) == bytes, "\(local)")
        }
    }

    @Test func deadURLIsAnHTTP404ErrorAndLeavesNoFile() throws {
        let server = try LocalHTTPServer { LocalHTTPServer.rangeReply([:], $0) }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("404")
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: DownloadError.httpStatus(url: server.url + "/gone.zip", status: 404)) {
            try FileDownload.fetch(server.url + "/gone.zip", to: root + "/gone.zip", options: Self.fastOptions())
        }
        #expect(Fixtures.sortedFiles(root).isEmpty)
        #expect(server.requests.count == 1, "a 404 is not retried")
        #expect("\(DownloadError.httpStatus(url: "u", status: 404))".contains("--url"))
    }

    @Test func connectionCutMidTransferIsResumedWithARangeRequest() throws {
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let server = try LocalHTTPServer { request in
            request.headers["range"] == nil
                ? .cut(status: 200, headers: [:], body: body, after: 70_000)
                : LocalHTTPServer.rangeReply(["/big.zip": body], request)
        }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileDownload.fetch(server.url + "/big.zip", to: root + "/big.zip", options: Self.fastOptions())
        #expect(try FileIO.read(root + "/big.zip") == body)
        let ranges = server.requests.map { $0.headers["range"] }
        #expect(ranges == [nil, "bytes=70000-"])
    }

    @Test func aLaterRunResumesThePartialFile() throws {
        let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let server = try LocalHTTPServer { request in
            request.headers["range"] == nil
                ? .cut(status: 200, headers: [:], body: body, after: 40_000)
                : LocalHTTPServer.rangeReply(["/a.zip": body], request)
        }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("rerun")
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: DownloadError.self) {
            try FileDownload.fetch(server.url + "/a.zip", to: root + "/a.zip", options: Self.fastOptions(attempts: 1))
        }
        #expect(try FileIO.read(root + "/a.zip.part").count == 40_000)
        let fetched = try FileDownload.fetch(server.url + "/a.zip", to: root + "/a.zip", options: Self.fastOptions(attempts: 1))
        #expect(fetched == 60_000)
        #expect(try FileIO.read(root + "/a.zip") == body)
    }

    @Test func stalledServerHitsTheTimeout() throws {
        let server = try LocalHTTPServer { _ in .stall(seconds: 3) }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("slow")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let start = Date()
        #expect(throws: DownloadError.timedOut(url: server.url + "/x.zip", seconds: 0.5, attempts: 1)) {
            try FileDownload.fetch(server.url + "/x.zip", to: root + "/x.zip", options: Self.fastOptions(timeout: 0.5, attempts: 1))
        }
        #expect(Date().timeIntervalSince(start) < 2.5)
    }

    @Test func fullDiskIsReportedBeforeDownloading() throws {
        let server = try LocalHTTPServer { LocalHTTPServer.rangeReply(["/f.zip": Array(repeating: 1, count: 5000)], $0) }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("full")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var options = Self.fastOptions()
        options.freeSpace = { _ in 100 }
        #expect(throws: DownloadError.diskFull(path: root, needed: 5000)) {
            try FileDownload.fetch(server.url + "/f.zip", to: root + "/f.zip", options: options)
        }
        #expect("\(DownloadError.diskFull(path: root, needed: 5000))".contains("disk is full"))
    }

    @Test func corruptOrTruncatedZipIsRejectedAndLeavesNoDataSet() throws {
        let zip = ZipArchive.make(try Self.syntheticFiles(top: "facades"))
        let root = Fixtures.temporaryDirectory("corrupt")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var damaged = zip
        damaged[200] ^= 0xFF
        try Fixtures.write(damaged, root + "/damaged.zip")
        try Fixtures.write(Array(zip[0..<(zip.count / 2)]), root + "/short.zip")
        for (file, word) in [("damaged.zip", "damaged"), ("short.zip", "truncated")] {
            do {
                _ = try ArchiveUnpacker.unpack(root + "/" + file, kind: .zip, root: root, name: "facades")
                Issue.record("\(file) unpacked")
            } catch {
                guard case .badArchive(_, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(reason.contains(word), "\(reason)")
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/facades"))
            #expect(!FileManager.default.fileExists(atPath: root + "/.facades.unpacking"))
        }
        #expect(throws: DownloadError.self) {
            _ = try ArchiveUnpacker.unpack(root + "/short.zip", kind: .zip, root: root, name: "facades", freeSpace: { _ in 0 })
        }
        try Fixtures.write(zip, root + "/ok.zip")
        #expect(throws: DownloadError.diskFull(path: root, needed: Int64(try Self.syntheticFiles(top: "f").reduce(0) { $0 + $1.bytes.count }))) {
            _ = try ArchiveUnpacker.unpack(root + "/ok.zip", kind: .zip, root: root, name: "facades", freeSpace: { _ in 10 })
        }
    }

    @Test func garbageIsNotAnArchiveNotATruncatedOne() throws {
        let root = Fixtures.temporaryDirectory("garbage")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let page = Array("<html><body>Service moved</body></html>".utf8)
        let cases: [(String, [UInt8], DatasetSource.Archive, String)] = [
            ("page.zip", page, .zip, "not a zip archive"), ("tiny.zip", Array("oops".utf8), .zip, "not a zip archive"),
            ("page.tar.gz", page, .tarGz, "not a gzip (.tar.gz) archive")]
        for (file, bytes, kind, word) in cases {
            try Fixtures.write(bytes, root + "/" + file)
            do {
                _ = try ArchiveUnpacker.unpack(root + "/" + file, kind: kind, root: root, name: "facades")
                Issue.record("\(file) unpacked")
            } catch {
                guard case .badArchive(_, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(reason.contains(word), "\(file): \(reason)")
                #expect(!reason.contains("truncated"), "\(file): \(reason)")
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/facades"))
        }
    }

    @Test func truncatedTarGzIsRejected() throws {
        let archive = Gzip.compress(TarWriting.tar([("s/images/a.jpg", Array(repeating: 3, count: 70_000))]))
        let root = Fixtures.temporaryDirectory("tgz")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Fixtures.write(Array(archive[0..<(archive.count - 20)]), root + "/s.tar.gz")
        #expect(throws: DownloadError.self) {
            _ = try ArchiveUnpacker.unpack(root + "/s.tar.gz", kind: .tarGz, root: root, name: "selfie")
        }
        #expect(Fixtures.sortedFiles(root) == ["s.tar.gz"])
    }

    @Test func pubfigKeepsOnlyVerifiedImagesAndARerunFetchesOnlyWhatIsMissing() throws {
        let good = Array("a real face".utf8), other = Array("another face".utf8)
        let counter = Counter()
        let server = try LocalHTTPServer { request in
            counter.add(request.path)
            switch request.path {
            case "/1.jpg": return .send(status: 200, headers: [:], body: good)
            case "/2.jpg": return .send(status: 200, headers: [:], body: Array("placeholder".utf8))
            case "/4.jpg": return counter.count("/4.jpg") == 1 ? .stall(seconds: 5) : .send(status: 200, headers: [:], body: other)
            default: return .send(status: 404, headers: [:], body: [])
            }
        }
        defer { server.stop() }
        let root = Fixtures.temporaryDirectory("pubfig")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let list = """
            # PubFig Dataset v1.2 - eval_urls.txt
            #\tperson\timagenum\turl\trect\tmd5sum
            Nicolas Cage\t1\t\(server.url)/1.jpg\t0,0,120,120\t\(MD5.hex(good))
            Nicolas Cage\t2\t\(server.url)/2.jpg\t0,0,120,120\t\(MD5.hex(good))
            Nicolas Cage\t3\t\(server.url)/3.jpg\t0,0,120,120\t\(MD5.hex(good))
            Nicolas Cage\t4\t\(server.url)/4.jpg\t0,0,120,120\t\(MD5.hex(other))
            Nicolas Cage\t5\t\(server.url)/5.jpg\t0,0,20,20\t\(MD5.hex(good))
            Other Person\t1\t\(server.url)/1.jpg\t0,0,120,120\t\(MD5.hex(good))

            """
        try Fixtures.write(Array(list.utf8), root + "/eval_urls.txt")
        var options = PubFigFetch.Options(urls: root + "/eval_urls.txt", people: ["nicolas_cage"], output: root + "/pubfig")
        #expect(options.jobs == 8 && options.timeout == 15, "the README's defaults")
        // Long enough for a loaded 2-core machine; the stalled request still hits it.
        options.timeout = 2
        options.retryDelay = 0.05
        options.jobs = 3
        let report = try PubFigFetch.run(options)
        #expect(report.listed == 5)
        #expect(report.fetched == 2)   // 1, and 4 on its retry after the timeout
        #expect(report.wrongContent == 1)
        #expect(report.dead == 1)
        #expect(report.tooSmall == 1)
        #expect(report.usable == ["Nicolas Cage": 2])
        #expect(Fixtures.sortedFiles(root + "/pubfig") == ["Nicolas_Cage_1.jpg", "Nicolas_Cage_4.jpg"])
        #expect(counter.count("/3.jpg") == 1, "a 404 is not retried")
        let before = server.requests.count
        let again = try PubFigFetch.run(options)
        #expect(again.alreadyThere == 2 && again.fetched == 0)
        #expect(server.requests.count - before == 2, "only the two unverified images are asked again")
        // selfie2cage's naming: the files are found under the names it indexes.
        #expect(PubFigFetch.fileName(PubFigURLs.Row(person: "Nicolas Cage", imageNumber: 4, url: "http://x/y.JPG",
                                                     x0: 0, y0: 0, x1: 1, y1: 1, md5: "", line: 1)) == "Nicolas_Cage_4.jpg")
    }
}

/// Request counts per path, shared with a server's handler.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func add(_ key: String) { lock.withLock { counts[key, default: 0] += 1 } }
    func count(_ key: String) -> Int { lock.withLock { counts[key] ?? 0 } }
}

/// Builds tar archives for the tests (ustar headers; a GNU long-name record for paths over 100 bytes).
enum TarWriting {
    static func tar(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (path, bytes) in entries {
            let name = Array(path.utf8)
            if name.count > 100 {
                out += header(name: Array("././@LongLink".utf8), size: name.count + 1, type: "L")
                out += name + [0]
                out += [UInt8](repeating: 0, count: (512 - (name.count + 1) % 512) % 512)
            }
            out += header(name: Array(name.prefix(100)), size: bytes.count, type: "0")
            out += bytes + [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    static func header(name: [UInt8], size: Int, type: Character) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        block.replaceSubrange(0..<name.count, with: name)
        func octal(_ value: Int, _ at: Int, _ width: Int) {
            let digits = Array(String(value, radix: 8).utf8)
            let padded = [UInt8](repeating: UInt8(ascii: "0"), count: width - 1 - digits.count) + digits
            block.replaceSubrange(at..<(at + width - 1), with: padded)
        }
        octal(0o644, 100, 8)
        octal(size, 124, 12)
        octal(0, 136, 12)
        block[156] = type.asciiValue ?? 48
        block.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        block.replaceSubrange(263..<265, with: Array("00".utf8))
        for k in 148..<156 { block[k] = 32 }
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, 148, 7)
        block[155] = 32
        return block
    }
}

import Testing
@testable import Imaging

/// gzip (streamed through the inflater in pieces) and zip containers.
@Suite struct ArchiveFormatTests {
    static func gunzip(_ bytes: [UInt8]) throws(ArchiveFormatError) -> ([UInt8], pieces: Int) {
        var out: [UInt8] = []
        var pieces = 0
        try bytes.withUnsafeBufferPointer { buf throws(ArchiveFormatError) in
            try Gzip.decompress(buf) { piece in
                out += piece
                pieces += 1
                return true
            }
        }
        return (out, pieces)
    }

    /// Over 10 MiB of output: handed over in several pieces, matches keep reaching back across them.
    @Test func gzipStreamsLargeOutputInPiecesExactly() throws {
        var rng = TestRandom(seed: 5)
        var data: [UInt8] = []
        let phrase: [UInt8] = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        while data.count < 10_500_000 {
            data += phrase[0..<Int.random(in: 100..<3000, using: &rng)]
            data += (0..<50).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        for level in [0, 1, 6] {
            let (out, pieces) = try Self.gunzip(Gzip.compress(data, level: level))
            #expect(out == data, "level \(level)")
            #expect(pieces >= 2, "level \(level)")
        }
    }

    @Test func gzipReadsConcatenatedMembersAndHeaderFields() throws {
        // A member with FNAME ("a.txt") and FEXTRA, written by hand around our deflate.
        var named: [UInt8] = [0x1F, 0x8B, 8, 0x0C, 0, 0, 0, 0, 0, 3, 2, 0, 9, 9] + Array("a.txt".utf8) + [0]
        named += Gzip.compress(Array("one ".utf8)).dropFirst(10)
        let (out, _) = try Self.gunzip(named + Gzip.compress(Array("two".utf8)))
        #expect(out == Array("one two".utf8))
    }

    @Test func gzipReportsDamageTruncationAndNonGzip() throws {
        let good = Gzip.compress(Array(repeating: 42, count: 10_000) + Array("tail".utf8))
        var badCRC = good
        badCRC[badCRC.count - 6] ^= 1
        #expect(throws: ArchiveFormatError.self) { try Self.gunzip(badCRC) }
        do throws(ArchiveFormatError) {
            _ = try Self.gunzip(Array(good.dropLast(3)))
            Issue.record("a truncated stream was accepted")
        } catch {
            #expect(error.kind == .truncated)
        }
        do throws(ArchiveFormatError) {
            _ = try Self.gunzip(Array("PK not gzip".utf8))
            Issue.record("a non-gzip file was accepted")
        } catch {
            #expect(error.kind == .corrupt && "\(error)".contains("not a gzip file"))
        }
    }

    @Test func gzipStopsWhenTheSinkSaysSo() throws {
        let z = Gzip.compress([UInt8](repeating: 1, count: 9_000_000))
        var pieces = 0
        #expect(throws: ArchiveFormatError.self) {
            try z.withUnsafeBufferPointer { buf throws(ArchiveFormatError) in
                try Gzip.decompress(buf) { _ in
                    pieces += 1
                    return false
                }
            }
        }
        #expect(pieces == 1)
    }

    @Test func zipRoundTripsStoredAndDeflatedEntries() throws {
        let files: [(path: String, bytes: [UInt8])] = [
            ("set/", []), ("set/trainA/a.jpg", Array(repeating: 200, count: 5000)),
            ("set/trainB/b.png", Array("short".utf8)), ("set/empty.txt", []),
        ]
        for level in [0, 6] {
            let packed = ZipArchive.make(files, level: level)
            try packed.withUnsafeBufferPointer { buf throws(ArchiveFormatError) in
                let archive = try ZipArchive(buf)
                #expect(archive.entries.map(\.path) == files.map(\.path))
                #expect(archive.entries.map(\.isDirectory) == [true, false, false, false])
                for (entry, file) in zip(archive.entries, files) { #expect(try archive.extract(entry) == file.bytes) }
            }
        }
    }

    @Test func zipRejectsCorruptAndTruncatedArchives() throws {
        let packed = ZipArchive.make([("x/a.bin", (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * $0) })])
        var damaged = packed
        damaged[60] ^= 0x55
        try damaged.withUnsafeBufferPointer { buf throws(ArchiveFormatError) in
            let archive = try ZipArchive(buf)
            do throws(ArchiveFormatError) {
                _ = try archive.extract(archive.entries[0])
                Issue.record("damaged entry extracted")
            } catch {
                #expect(error.kind == .corrupt)
            }
        }
        Array(packed.prefix(packed.count - 30)).withUnsafeBufferPointer { buf in
            do throws(ArchiveFormatError) {
                _ = try ZipArchive(buf)
                Issue.record("truncated archive read")
            } catch {
                #expect(error.kind == .truncated)
            }
        }
    }
}

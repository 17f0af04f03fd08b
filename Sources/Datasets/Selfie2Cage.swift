import Foundation
import Imaging

/// Builds the selfie2cage dataset: domain A from the UCF Selfie data set,
/// domain B from one person's PubFig photos, both cropped/resized to
/// `loadSize` squares in the CycleGAN layout.
///
/// PubFig side, per row of the urls file for `person`: the downloaded file is
/// looked up as `<person>_<imagenum>.<ext>` (spaces as in the file or as
/// underscores) or `<md5>.<ext>`; a missing file is reported missing, an MD5
/// mismatch is rejected, an undecodable file is rejected; the face rectangle,
/// enlarged by `margin` into a square and kept inside the image, is cropped;
/// faces under `minFace` pixels are rejected as too small; crops whose
/// perceptual hash is within `hashThreshold` bits of an earlier kept crop are
/// rejected as near-duplicates; the rest are resized to `loadSize`.
///
/// Selfie side: rows with an `exclude` attribute set, or a `require` attribute
/// unset, are skipped; images are center-cropped to squares, resized and
/// de-duplicated the same way.
///
/// The train/test split is deterministic (a hash of seed and name orders the
/// kept images; the first `testFraction` go to test) and, because duplicates
/// were removed first, no picture appears on both sides.
public enum Selfie2Cage {
    public struct Options: Sendable {
        /// UCF Selfie root: `images/*.jpg` and `selfie_dataset.txt`.
        public var selfieRoot: String
        /// PubFig urls file (dev_urls.txt or eval_urls.txt).
        public var pubfigURLs: String
        /// The person whose photos form domain B, as written in the urls file.
        public var person: String
        /// Folder holding the downloaded PubFig images.
        public var pubfigImages: String
        /// Output dataset root.
        public var output: String
        public var exclude: [String] = []
        public var require: [String] = []
        public var margin: Double = 1.6
        public var minFace: Int = 96
        public var loadSize: Int = 286
        public var hashThreshold: Int = 6
        public var testFraction: Double = 0.1
        public var seed: UInt64 = 1
        /// Keep at most this many selfies (nil: all).
        public var maxSelfies: Int? = nil
        /// JPEG quality of the written images; nil writes PNG.
        public var jpegQuality: Int? = 95

        public init(selfieRoot: String, pubfigURLs: String, person: String, pubfigImages: String, output: String) {
            self.selfieRoot = selfieRoot
            self.pubfigURLs = pubfigURLs
            self.person = person
            self.pubfigImages = pubfigImages
            self.output = output
        }
    }

    /// Counts for the PubFig side.
    public struct PubFigReport: Sendable, Equatable {
        /// Rows of the urls file for the person.
        public var rows = 0
        /// Rows whose file was found.
        public var downloaded = 0
        public var missing = 0
        public var md5Mismatch = 0
        /// Found files whose MD5 matches.
        public var md5OK = 0
        public var undecodable = 0
        public var tooSmall = 0
        public var duplicates = 0
        public var kept = 0
        public var train = 0
        public var test = 0
    }

    /// Counts for the selfie side.
    public struct SelfieReport: Sendable, Equatable {
        public var rows = 0
        public var excludedByAttributes = 0
        public var missing = 0
        public var undecodable = 0
        public var duplicates = 0
        /// Dropped beyond `maxSelfies`.
        public var overLimit = 0
        public var kept = 0
        public var train = 0
        public var test = 0
    }

    public struct Report: Sendable {
        public var selfies: SelfieReport
        public var pubfig: PubFigReport
        /// Individual problems (missing files, mismatches, ...), one line each.
        public var notes: [String]

        public var text: String {
            let s = selfies, p = pubfig
            return """
                selfies (A): \(s.rows) rows, \(s.excludedByAttributes) excluded by attributes, \(s.missing) missing, \
                \(s.undecodable) undecodable, \(s.duplicates) near-duplicates, \(s.overLimit) over the limit, \
                kept \(s.kept) (train \(s.train), test \(s.test))
                pubfig (B): \(p.rows) rows, \(p.downloaded) downloaded, \(p.missing) missing, \(p.md5OK) md5-ok, \
                \(p.md5Mismatch) md5 mismatches, \(p.undecodable) undecodable, \(p.tooSmall) too small, \
                \(p.duplicates) duplicates, kept \(p.kept) (train \(p.train), test \(p.test))
                """
        }
    }

    /// A processed image, already written to the train folder, waiting for the split.
    struct Kept {
        var name: String
    }

    /// Writes kept images straight to the train folder (memory stays flat on large sets);
    /// the test share is moved over at the end.
    struct Sink {
        let directory: String
        let fileExtension: String
        let jpegQuality: Int?

        init(_ o: Options, folder: String) throws(DatasetError) {
            directory = FileIO.join(o.output, folder)
            jpegQuality = o.jpegQuality
            fileExtension = o.jpegQuality == nil ? "png" : "jpg"
            try FileIO.createDirectory(directory)
        }

        func write(_ image: Image, name: String) throws(DatasetError) {
            let bytes = jpegQuality.map { JPEGEncoder.encode(image, quality: $0) } ?? PNGEncoder.encode(image)
            try FileIO.write(bytes, to: FileIO.join(directory, name + "." + fileExtension))
        }
    }

    /// Runs the whole preparation.
    /// - Parameter progress: called with a phase label, done and total counts.
    /// - Throws: ``DatasetError`` for unreadable metadata, unknown attributes, bad options or unwritable output.
    public static func run(_ options: Options, progress: ((_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil)
        throws(DatasetError) -> Report
    {
        guard options.margin >= 1, options.loadSize >= 8, options.minFace >= 1,
              (0..<1).contains(options.testFraction), (0...64).contains(options.hashThreshold)
        else {
            throw .invalidArgument("need margin >= 1, load size >= 8, min face >= 1, 0 <= test fraction < 1, "
                + "0 <= hash threshold <= 64")
        }
        try SelfieDataset.validate(options.exclude + options.require)
        for folder in ["trainA", "trainB", "testA", "testB"] {
            let path = FileIO.join(options.output, folder)
            if FileIO.isDirectory(path), !(try ImageFolder(path: path).files.isEmpty) {
                throw .invalidArgument("\(path) already holds images; write to a new folder")
            }
        }
        let rows = try pubfigRows(options)
        let fetch = "fetch them with: herd data pubfig --urls \(options.pubfigURLs) --person '\(rows[0].person)' "
            + "--out \(options.pubfigImages)"
        let index = FileIO.isDirectory(options.pubfigImages) ? try indexFolder(options.pubfigImages) : [:]
        if !rows.contains(where: { pubfigFile($0, in: index) != nil }) {
            throw .invalidArgument("no image of \(rows[0].person) in \(options.pubfigImages) (\(rows.count) listed); " + fetch)
        }
        var notes: [String] = []
        let sinkA = try Sink(options, folder: "trainA"), sinkB = try Sink(options, folder: "trainB")
        // The faces first: without a usable one there is no data set, and no selfie work is wasted.
        let (pubfigKept, pubfigReport) = try preparePubFig(options, rows: rows, sink: sinkB, notes: &notes,
                                                           progress: progress)
        if pubfigKept.isEmpty {
            throw .invalidArgument("none of the \(pubfigReport.downloaded) images of \(rows[0].person) in "
                + "\(options.pubfigImages) is usable (\(pubfigReport.md5Mismatch) wrong MD5, \(pubfigReport.undecodable) "
                + "undecodable, \(pubfigReport.tooSmall) faces too small); " + fetch)
        }
        let (selfieKept, selfieReport) = try prepareSelfies(options, sink: sinkA, notes: &notes, progress: progress)
        var report = Report(selfies: selfieReport, pubfig: pubfigReport, notes: notes)
        let a = try split(selfieKept, from: sinkA, test: "testA", options)
        let b = try split(pubfigKept, from: sinkB, test: "testB", options)
        (report.selfies.train, report.selfies.test) = a
        (report.pubfig.train, report.pubfig.test) = b
        return report
    }

    // MARK: - Selfies

    static func prepareSelfies(_ o: Options, sink: Sink, notes: inout [String],
                               progress: ((String, Int, Int) -> Void)?) throws(DatasetError) -> ([Kept], SelfieReport)
    {
        let annotationPath = FileIO.join(o.selfieRoot, "selfie_dataset.txt")
        let text = String(decoding: try FileIO.read(annotationPath), as: UTF8.self)
        let dataset = try SelfieDataset(text: text, file: annotationPath)
        var report = SelfieReport(rows: dataset.rows.count)
        var candidates: [SelfieDataset.Row] = []
        for row in dataset.rows {
            if o.exclude.contains(where: row.has) || !o.require.allSatisfy(row.has) {
                report.excludedByAttributes += 1
            } else {
                candidates.append(row)
            }
        }
        // With a limit, take a seeded sample rather than the first names.
        candidates.sort { splitKey($0.name, o.seed) < splitKey($1.name, o.seed) }
        var kept: [Kept] = []
        var hashes: [PerceptualHash] = []
        let imagesDir = FileIO.join(o.selfieRoot, "images")
        for (i, row) in candidates.enumerated() {
            progress?("selfies", i + 1, candidates.count)
            if let limit = o.maxSelfies, kept.count >= limit {
                report.overLimit += 1
                continue
            }
            let file = row.name.lowercased().hasSuffix(".jpg") ? row.name : row.name + ".jpg"
            let path = FileIO.join(imagesDir, file)
            guard FileManager.default.fileExists(atPath: path) else {
                report.missing += 1
                notes.append("selfie \(file): missing (line \(row.line))")
                continue
            }
            let image: Image
            do throws(ImageError) {
                image = try ImageCodec.decode(file: path).rgb8()
            } catch {
                report.undecodable += 1
                notes.append("selfie \(file): \(error.underlying)")
                continue
            }
            let side = min(image.width, image.height)
            let square = image.cropped(x: (image.width - side) / 2, y: (image.height - side) / 2, width: side, height: side)
            let resized = square.resizedBicubic(width: o.loadSize, height: o.loadSize)
            let hash = PerceptualHash(resized)
            if let twin = hashes.firstIndex(where: { $0.distance(to: hash) <= o.hashThreshold }) {
                report.duplicates += 1
                notes.append("selfie \(file): near-duplicate of \(kept[twin].name)")
                continue
            }
            hashes.append(hash)
            let name = (file as NSString).deletingPathExtension
            try sink.write(resized, name: name)
            kept.append(Kept(name: name))
        }
        report.kept = kept.count
        return (kept, report)
    }

    // MARK: - PubFig

    /// Index of a folder: lowercased file name without extension -> path.
    static func indexFolder(_ path: String) throws(DatasetError) -> [String: String] {
        var index: [String: String] = [:]
        for name in try FileIO.listDirectory(path) where ImageFolder.isImageName(name) || name.lowercased().hasSuffix(".gif") {
            index[(name as NSString).deletingPathExtension.lowercased()] = FileIO.join(path, name)
        }
        return index
    }

    /// The urls file's rows for the person; fails early, before any image work, when there are none.
    static func pubfigRows(_ o: Options) throws(DatasetError) -> [PubFigURLs.Row] {
        let text = String(decoding: try FileIO.read(o.pubfigURLs), as: UTF8.self)
        let all = try PubFigURLs(text: text, file: o.pubfigURLs).rows
        let rows = all.filter { PubFigURLs.samePerson($0.person, o.person) }
        guard !rows.isEmpty else {
            var people: [String] = []
            for row in all where people.last != row.person && !people.contains(row.person) { people.append(row.person) }
            throw .invalidArgument("\(o.pubfigURLs) lists no images of '\(o.person)' (PubFig splits people between "
                + "dev_urls.txt and eval_urls.txt; this file has \(people.count): "
                + people.prefix(8).joined(separator: ", ") + (people.count > 8 ? ", ..." : "") + ")")
        }
        return rows
    }

    /// The row's file in an ``indexFolder(_:)`` index: `<person>_<imagenum>` (spaces or underscores) or `<md5>`.
    static func pubfigFile(_ row: PubFigURLs.Row, in index: [String: String]) -> String? {
        let base = "\(row.person)_\(row.imageNumber)"
        let candidates = [base, base.replacingOccurrences(of: " ", with: "_"), row.md5].map { $0.lowercased() }
        return candidates.lazy.compactMap({ index[$0] }).first
    }

    static func preparePubFig(_ o: Options, rows: [PubFigURLs.Row], sink: Sink, notes: inout [String],
                              progress: ((String, Int, Int) -> Void)?) throws(DatasetError) -> ([Kept], PubFigReport)
    {
        guard FileIO.isDirectory(o.pubfigImages) else { throw .missingFolder(path: o.pubfigImages) }
        let index = try indexFolder(o.pubfigImages)
        var report = PubFigReport(rows: rows.count)
        var kept: [Kept] = []
        var hashes: [PerceptualHash] = []
        for (i, row) in rows.enumerated() {
            progress?("pubfig", i + 1, rows.count)
            let label = "pubfig \(row.person)_\(row.imageNumber)"
            guard let path = pubfigFile(row, in: index) else {
                report.missing += 1
                notes.append("\(label): missing (line \(row.line))")
                continue
            }
            report.downloaded += 1
            let bytes: [UInt8]
            do throws(ImageError) {
                bytes = try ImageCodec.readFile(path)
            } catch {
                report.undecodable += 1
                notes.append("\(label): \(error)")
                continue
            }
            let digest = MD5.hex(bytes)
            guard digest == row.md5 else {
                report.md5Mismatch += 1
                notes.append("\(label): MD5 \(digest) differs from the listed \(row.md5) (a different file was served)")
                continue
            }
            report.md5OK += 1
            let image: Image
            do throws(ImageError) {
                image = try ImageCodec.decode(bytes).rgb8()
            } catch {
                report.undecodable += 1
                notes.append("\(label): \(error.underlying)")
                continue
            }
            if max(row.faceWidth, row.faceHeight) < o.minFace {
                report.tooSmall += 1
                notes.append("\(label): face \(row.faceWidth)x\(row.faceHeight) is under \(o.minFace) px")
                continue
            }
            let crop = faceCrop(image, row: row, margin: o.margin)
            guard crop.width > 0, crop.height > 0 else {
                report.tooSmall += 1
                notes.append("\(label): face rectangle lies outside the \(image.width)x\(image.height) image")
                continue
            }
            let resized = crop.resizedBicubic(width: o.loadSize, height: o.loadSize)
            let hash = PerceptualHash(resized)
            if let twin = hashes.firstIndex(where: { $0.distance(to: hash) <= o.hashThreshold }) {
                report.duplicates += 1
                notes.append("\(label): near-duplicate of \(kept[twin].name)")
                continue
            }
            hashes.append(hash)
            let name = "\(row.person)_\(row.imageNumber)".replacingOccurrences(of: " ", with: "_")
            try sink.write(resized, name: name)
            kept.append(Kept(name: name))
        }
        report.kept = kept.count
        return (kept, report)
    }

    /// The face rectangle enlarged by `margin` into a square around its center, moved and if
    /// necessary shrunk to lie inside the image.
    static func faceCrop(_ image: Image, row: PubFigURLs.Row, margin: Double) -> Image {
        let cx = Double(row.x0 + row.x1) / 2, cy = Double(row.y0 + row.y1) / 2
        var side = Int((Double(max(row.faceWidth, row.faceHeight)) * margin).rounded())
        side = min(side, image.width, image.height)
        // The face center must be inside the image for the crop to show the face.
        guard cx >= 0, cy >= 0, cx < Double(image.width), cy < Double(image.height), side > 0 else {
            return Image(width: 0, height: 0, channels: 3)
        }
        let x = max(0, min(image.width - side, Int((cx - Double(side) / 2).rounded())))
        let y = max(0, min(image.height - side, Int((cy - Double(side) / 2).rounded())))
        return image.cropped(x: x, y: y, width: side, height: side)
    }

    // MARK: - Split and write

    /// A deterministic pseudo-random key for ordering names under a seed.
    static func splitKey(_ name: String, _ seed: UInt64) -> UInt64 {
        var g = SeededGenerator(seed: seed, stream: name, index: 0)
        return g.next()
    }

    /// Moves the first `testFraction` of the kept images, in seeded order, from the train folder to `test`.
    static func split(_ kept: [Kept], from sink: Sink, test: String, _ o: Options) throws(DatasetError) -> (Int, Int) {
        let ordered = kept.sorted { (splitKey($0.name, o.seed), $0.name) < (splitKey($1.name, o.seed), $1.name) }
        let testCount = kept.count >= 2 ? max(1, Int((Double(kept.count) * o.testFraction).rounded())) : 0
        let testDir = FileIO.join(o.output, test)
        try FileIO.createDirectory(testDir)
        for item in ordered.prefix(testCount) {
            let file = item.name + "." + sink.fileExtension
            let from = FileIO.join(sink.directory, file), to = FileIO.join(testDir, file)
            do {
                if FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
                try FileManager.default.moveItem(atPath: from, toPath: to)
            } catch {
                throw .io(path: to, reason: "cannot move from \(from) (\(error.localizedDescription))")
            }
        }
        return (ordered.count - testCount, testCount)
    }
}

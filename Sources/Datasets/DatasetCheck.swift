import Foundation
import Imaging

/// What `herd data check` finds in a CycleGAN-layout dataset: per folder the
/// counts and sizes, files that do not decode (with the reason), grayscale,
/// CMYK and odd-size files; exact duplicates across the whole dataset; the
/// training folders (`trainA`, `trainB`) that are missing or hold no image; and
/// a contact sheet of a sample of each folder.
public struct DatasetCheck: Sendable {
    /// Findings for one split folder.
    public struct Folder: Sendable {
        public var split: DatasetLayout.Split
        public var path: String
        /// Image files listed.
        public var count: Int
        /// Files that could not be decoded, with the reason.
        public var bad: [ImageScan.BadFile] = []
        /// Decoded sizes, most common first.
        public var sizes: [(width: Int, height: Int, count: Int)] = []
        /// Files stored as grayscale (one channel, or gray + alpha).
        public var grayscale: [String] = []
        /// RGB files whose three channels are equal everywhere (gray content).
        public var grayContent: [String] = []
        /// JPEGs in CMYK or YCCK (converted to RGB when loaded).
        public var cmyk: [String] = []
        /// Files with alpha (dropped when loaded).
        public var alpha: [String] = []
        /// Files whose size differs from the folder's most common size.
        public var oddSize: [String] = []
    }

    public var root: String
    public var folders: [Folder]
    /// Groups of byte-identical files (two or more paths each).
    public var duplicates: [[String]]
    /// `trainA` / `trainB` when the folder is missing or holds no image (training needs both).
    public var missingTraining: [DatasetLayout.Split] = []

    /// Checks every image of the dataset at `root` (all splits that exist).
    /// - Parameter sampleSink: receives each decoded image with its split, for a contact sheet.
    /// - Throws: ``DatasetError`` when `root` is missing or has no split folder.
    public static func run(root: String, progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                           sampleSink: ((DatasetLayout.Split, Int, Image) -> Void)? = nil) throws(DatasetError) -> DatasetCheck
    {
        let layout = try DatasetLayout(root: root, required: [])
        guard !layout.folders.isEmpty else {
            throw .invalidArgument("\(root) has none of trainA, trainB, testA, testB")
        }
        let total = DatasetLayout.Split.allCases.reduce(0) { $0 + layout.files($1).count }
        var done = 0
        var byDigest: [String: [String]] = [:]
        var folders: [Folder] = []
        for split in DatasetLayout.Split.allCases {
            guard let folder = layout.folders[split] else { continue }
            var report = Folder(split: split, path: folder.path, count: folder.files.count)
            var sizeOf: [String: (Int, Int)] = [:]
            var sizeCounts: [String: Int] = [:]
            for (index, path) in folder.files.enumerated() {
                defer {
                    done += 1
                    progress?(done, total)
                }
                let bytes: [UInt8]
                let image: Image
                let info: ImageInfo
                do throws(ImageError) {
                    bytes = try ImageCodec.readFile(path)
                    info = try ImageCodec.info(bytes)
                    image = try ImageCodec.decode(bytes)
                } catch {
                    report.bad.append(ImageScan.BadFile(path: path, reason: "\(error.underlying)"))
                    continue
                }
                byDigest[MD5.hex(bytes), default: []].append(path)
                let key = "\(image.width)x\(image.height)"
                sizeOf[path] = (image.width, image.height)
                sizeCounts[key, default: 0] += 1
                if info.channels <= 2 { report.grayscale.append(path) }
                if image.hasAlpha { report.alpha.append(path) }
                if let cs = info.jpeg?.colorSpace, cs == "CMYK" || cs == "YCCK" { report.cmyk.append(path) }
                if image.channels >= 3 && image.bitDepth == 8 && Self.isGrayContent(image) { report.grayContent.append(path) }
                sampleSink?(split, index, image)
            }
            report.sizes = sizeCounts.map { key, count in
                let parts = key.split(separator: "x").compactMap { Int($0) }
                return (parts[0], parts[1], count)
            }.sorted { ($1.count, $0.width, $0.height) < ($0.count, $1.width, $1.height) }
            if let common = report.sizes.first {
                report.oddSize = folder.files.filter { path in
                    guard let s = sizeOf[path] else { return false }
                    return s.0 != common.width || s.1 != common.height
                }
            }
            folders.append(report)
        }
        let duplicates = byDigest.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        let missing = [DatasetLayout.Split.trainA, .trainB].filter { layout.files($0).isEmpty }
        return DatasetCheck(root: root, folders: folders, duplicates: duplicates, missingTraining: missing)
    }

    /// Whether every pixel has R == G == B.
    static func isGrayContent(_ image: Image) -> Bool {
        let c = image.channels
        return image.pixels.withUnsafeBufferPointer { p in
            var i = 0
            while i + 2 < p.count {
                if p[i] != p[i + 1] || p[i] != p[i + 2] { return false }
                i += c
            }
            return true
        }
    }

    /// Whether `herd train` can train on it, as it decides: trainA and trainB each hold an image
    /// that decodes (training skips the files that do not decode and uses duplicates as they are).
    public var isTrainable: Bool {
        missingTraining.isEmpty
            && folders.filter { $0.split == .trainA || $0.split == .trainB }.allSatisfy { $0.count > $0.bad.count }
    }

    /// Whether nothing needs attention: both training folders hold images, no undecodable files, no duplicates.
    public var isClean: Bool { missingTraining.isEmpty && folders.allSatisfy { $0.bad.isEmpty } && duplicates.isEmpty }

    /// The report for people; `limit` caps the files listed per finding.
    public func text(limit: Int = 10) -> String {
        var lines: [String] = ["dataset \(root)"]
        func list(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append("    \(title): \(items.count)")
            for item in items.prefix(limit) { lines.append("      \(item)") }
            if items.count > limit { lines.append("      ... and \(items.count - limit) more") }
        }
        for f in folders {
            let sizes = f.sizes.prefix(3).map { "\($0.width)x\($0.height) (\($0.count))" }.joined(separator: ", ")
                + (f.sizes.count > 3 ? ", ... \(f.sizes.count) sizes" : "")
            lines.append("  \(f.split): \(f.count) images, \(f.count - f.bad.count) decode" + (sizes.isEmpty ? "" : "; sizes \(sizes)"))
            list("do not decode", f.bad.map(\.description))
            list("grayscale", f.grayscale)
            list("RGB with gray content", f.grayContent)
            list("CMYK", f.cmyk)
            list("with alpha (dropped when training)", f.alpha)
            list("odd size (not \(f.sizes.first.map { "\($0.width)x\($0.height)" } ?? "-"))", f.oddSize)
        }
        for split in missingTraining {
            let present = folders.contains { $0.split == split }
            lines.append("  \(split): " + (present ? "holds no .jpg/.jpeg/.png image" : "missing") + " (training needs \((root as NSString).appendingPathComponent(split.rawValue)))")
        }
        if duplicates.isEmpty {
            lines.append("  no exact duplicates")
        } else {
            lines.append("  exact duplicates: \(duplicates.count) groups")
            for group in duplicates.prefix(limit) { lines.append("    " + group.joined(separator: " = ")) }
            if duplicates.count > limit { lines.append("    ... and \(duplicates.count - limit) more groups") }
        }
        return lines.joined(separator: "\n")
    }
}

import Foundation
import Imaging

/// Finds the images of a list that cannot be used, so a trainer can skip them
/// and report them once at start.
public enum ImageScan {
    /// How thoroughly to check each file.
    public enum Depth: Sendable {
        /// Read the headers only (fast; misses truncated or corrupt pixel data).
        case headers
        /// Decode every file completely.
        case decode
    }

    /// A file that cannot be used and why.
    public struct BadFile: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The outcome of a scan.
    public struct Report: Sendable {
        /// Usable files, in the order given.
        public var good: [String]
        public var bad: [BadFile]

        /// One line per bad file after a count, or a single line when all are good.
        public var summary: String {
            if bad.isEmpty { return "\(good.count) images, all readable" }
            return (["\(good.count) usable images; skipping \(bad.count) that cannot be read:"]
                + bad.map { "  \($0)" }).joined(separator: "\n")
        }
    }

    /// Checks every file of `paths` (in order).
    ///
    /// - Parameter minimumSize: images narrower or lower than this are bad too
    ///   (e.g. the crop size), 0 to accept any size.
    public static func scan(_ paths: [String], depth: Depth = .decode, minimumSize: Int = 0,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) -> Report
    {
        var report = Report(good: [], bad: [])
        for (i, path) in paths.enumerated() {
            if let reason = problem(path, depth: depth, minimumSize: minimumSize) {
                report.bad.append(BadFile(path: path, reason: reason))
            } else {
                report.good.append(path)
            }
            progress?(i + 1, paths.count)
        }
        return report
    }

    /// Why `path` cannot be used, or nil.
    static func problem(_ path: String, depth: Depth, minimumSize: Int) -> String? {
        do throws(ImageError) {
            let bytes = try ImageCodec.readFile(path)
            let info = try ImageCodec.info(bytes)
            var width = info.width, height = info.height
            if depth == .decode {
                let image = try ImageCodec.decode(bytes)
                width = image.width
                height = image.height
            }
            if min(width, height) < minimumSize {
                return "\(width)x\(height) is smaller than \(minimumSize)x\(minimumSize)"
            }
            return nil
        } catch {
            return "\(error.underlying)"
        }
    }
}

extension ImageFolder {
    /// Checks this folder's images: the usable ones and a report of the others
    /// (see ``ImageScan/scan(_:depth:minimumSize:progress:)``).
    public func scan(depth: ImageScan.Depth = .decode, minimumSize: Int = 0,
                     progress: ((_ done: Int, _ total: Int) -> Void)? = nil) -> ImageScan.Report
    {
        ImageScan.scan(files, depth: depth, minimumSize: minimumSize, progress: progress)
    }
}

import Foundation

/// PubFig's `dev_urls.txt` / `eval_urls.txt`: tab-separated
/// `person, imagenum, url, rect (x0,y0,x1,y1), md5`, after `#` comment lines.
public struct PubFigURLs: Sendable {
    /// One listed image.
    public struct Row: Sendable, Equatable {
        public var person: String
        public var imageNumber: Int
        public var url: String
        /// Face rectangle in pixels: left, top, right, bottom (exclusive).
        public var x0: Int, y0: Int, x1: Int, y1: Int
        /// Lowercase hex MD5 of the file the URL served.
        public var md5: String
        public var line: Int

        public var faceWidth: Int { x1 - x0 }
        public var faceHeight: Int { y1 - y0 }
    }

    public var rows: [Row]

    /// Parses the file's text; `file` names it in errors.
    /// - Throws: ``DatasetError/badLine(file:line:reason:)`` for a line that does not have the five fields.
    public init(text: String, file: String) throws(DatasetError) {
        var rows: [Row] = []
        for (i, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if line.isEmpty || line.hasPrefix("#") { continue }
            let n = i + 1
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5 else {
                throw .badLine(file: file, line: n, reason: "expected 5 tab-separated fields, found \(fields.count)")
            }
            guard let number = Int(fields[1]) else {
                throw .badLine(file: file, line: n, reason: "image number '\(fields[1])' is not an integer")
            }
            let rect = fields[3].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard rect.count == 4, rect[2] > rect[0], rect[3] > rect[1] else {
                throw .badLine(file: file, line: n, reason: "face rectangle '\(fields[3])' is not x0,y0,x1,y1")
            }
            let md5 = fields[4].trimmingCharacters(in: .whitespaces).lowercased()
            guard md5.count == 32, md5.allSatisfy({ $0.isHexDigit }) else {
                throw .badLine(file: file, line: n, reason: "'\(fields[4])' is not an MD5 checksum")
            }
            rows.append(Row(person: fields[0], imageNumber: number, url: fields[2],
                            x0: rect[0], y0: rect[1], x1: rect[2], y1: rect[3], md5: md5, line: n))
        }
        self.rows = rows
    }

    /// Whether `a` and `b` name the same person, ignoring case and treating spaces and underscores alike.
    public static func samePerson(_ a: String, _ b: String) -> Bool {
        normalize(a) == normalize(b)
    }

    static func normalize(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: " ")
            .split(separator: " ").joined(separator: " ")
    }
}

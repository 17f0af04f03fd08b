/// The UCF Selfie data set's annotation file, `selfie_dataset.txt`: one line per
/// image, `<name> <popularity> <36 attributes, each 1 or -1>`, separated by spaces.
public struct SelfieDataset: Sendable {
    /// The 36 attribute names, in column order (as the data set's README lists them).
    public static let attributeNames: [String] = [
        "partial_faces", "is_female", "baby", "child", "teenager", "youth", "middle_age", "senior",
        "white", "black", "asian", "oval_face", "round_face", "heart_face", "smiling", "mouth_open",
        "frowning", "wearing_glasses", "wearing_sunglasses", "wearing_lipstick", "tongue_out", "duck_face",
        "black_hair", "blond_hair", "brown_hair", "red_hair", "curly_hair", "straight_hair", "braid_hair",
        "showing_cellphone", "using_earphone", "using_mirror", "braces", "wearing_hat", "harsh_lighting",
        "dim_lighting",
    ]

    /// One annotated image.
    public struct Row: Sendable, Equatable {
        /// Image name as listed (normally without `.jpg`).
        public var name: String
        public var popularity: Double
        /// Attribute flags in ``SelfieDataset/attributeNames`` order (true for 1).
        public var attributes: [Bool]
        /// Line number in the file (1-based).
        public var line: Int

        /// Whether the named attribute is set.
        public func has(_ attribute: String) -> Bool {
            guard let i = SelfieDataset.attributeNames.firstIndex(of: attribute) else { return false }
            return attributes[i]
        }
    }

    public var rows: [Row]

    /// Parses the annotation text; `file` names it in errors.
    /// - Throws: ``DatasetError/badLine(file:line:reason:)`` for a line without a name,
    ///   a numeric popularity and 36 values of 1, 0 or -1.
    public init(text: String, file: String) throws(DatasetError) {
        var rows: [Row] = []
        for (i, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let lineNumber = i + 1
            guard fields.count == 2 + SelfieDataset.attributeNames.count else {
                throw .badLine(file: file, line: lineNumber,
                               reason: "expected a name, a popularity and 36 attributes, found \(fields.count) fields")
            }
            guard let popularity = Double(fields[1]) else {
                throw .badLine(file: file, line: lineNumber, reason: "popularity '\(fields[1])' is not a number")
            }
            var attributes: [Bool] = []
            for (k, field) in fields[2...].enumerated() {
                switch field {
                case "1": attributes.append(true)
                case "-1", "0": attributes.append(false)
                default:
                    throw .badLine(file: file, line: lineNumber,
                                   reason: "attribute \(SelfieDataset.attributeNames[k]) is '\(field)', not 1 or -1")
                }
            }
            rows.append(Row(name: String(fields[0]), popularity: popularity, attributes: attributes, line: lineNumber))
        }
        self.rows = rows
    }

    /// Checks attribute names given by a user.
    /// - Throws: ``DatasetError/invalidArgument(_:)`` naming the unknown ones and listing the valid names.
    public static func validate(_ names: [String]) throws(DatasetError) {
        let unknown = names.filter { !attributeNames.contains($0) }
        if !unknown.isEmpty {
            throw .invalidArgument("unknown selfie attribute\(unknown.count > 1 ? "s" : "") "
                + unknown.joined(separator: ", ") + "; valid: " + attributeNames.joined(separator: " "))
        }
    }
}

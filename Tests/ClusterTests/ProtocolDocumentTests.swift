import Foundation
import Testing
@testable import Cluster

/// docs/PROTOCOL.md describes every message the wire knows.
@Suite struct ProtocolDocumentTests {
    /// The document's text, read from the repository this test file is in.
    static func document() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
    }

    @Test func everyMessageKindHasASectionAndATableRow() throws {
        let text = try Self.document()
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("### ") }
        for kind in MessageKind.allCases {
            let tag = "`\(kind.name)` (\(kind.rawValue))"
            #expect(headings.contains { $0.contains(tag) }, "docs/PROTOCOL.md has no '### \(tag)' section")
            let row = "| \(kind.rawValue) | `\(kind.name)`"
            #expect(text.split(separator: "\n").contains { $0.replacingOccurrences(of: "  ", with: " ").hasPrefix(row) },
                    "docs/PROTOCOL.md's message table has no row for \(kind.name) (\(kind.rawValue))")
        }
    }

    @Test func theDocumentedVersionIsTheWireVersion() throws {
        let text = try Self.document()
        #expect(text.contains("u32      protocol version (currently \(Preamble.version))"))
        #expect(text.contains("| \(Preamble.version) |"), "the version history has no row for version \(Preamble.version)")
    }
}

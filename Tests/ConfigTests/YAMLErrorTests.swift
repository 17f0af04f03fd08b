import Testing
@testable import Config

/// Every kind of syntax error names the file, the right line and (for lexical
/// problems) the column.
@Suite struct YAMLErrorTests {
    private func error(_ text: String) -> ConfigError? {
        do {
            _ = try YAMLNode.parse(text, file: "bad.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func tabIndentationNamesLineAndColumn() throws {
        let e = try #require(error("a:\n  b: 1\n \tc: 2\n"))
        #expect(e == .tabIndentation(SourceLocation(file: "bad.yaml", line: 3, column: 2)))
        #expect(e.description == "bad.yaml: line 3, column 2: tab character in the indentation; YAML indents with spaces only")
    }

    @Test func tabsOnBlankAndCommentLinesAreHarmless() throws {
        #expect(error("a: 1\n\t\n\t# note\nb: 2\n") == nil)
    }

    @Test(arguments: [
        ("a: 1\n  b: 2\n", 2),            // indented under a key that has a value
        ("a:\n    b: 1\n  c: 2\n", 3),    // dedent to no enclosing level
        ("a:\n  b: 1\n - c\n", 3),        // list item at an unknown level
        ("a: 1\n- x\n", 2),               // list item where a key belongs
        ("l:\n  - x\n  k: 1\n", 3),       // key inside an indented list
        ("  a: 1\nb: 2\n", 2),            // less indented than the document
    ])
    func badIndentationNamesTheLine(text: String, line: Int) throws {
        let e = try #require(error(text))
        guard case .badIndentation(let at, _) = e else { Issue.record("got \(e)"); return }
        #expect(at.line == line)
        #expect(at.file == "bad.yaml")
    }

    @Test func duplicateKeyNamesBothLines() throws {
        let e = try #require(error("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n"))
        #expect(e == .duplicateKey(SourceLocation(file: "bad.yaml", line: 5, column: 3), key: "x", firstLine: 3))
        #expect(e.description.contains("line 5"))
        #expect(e.description.contains("first given on line 3"))
    }

    @Test(arguments: [
        ("a: \"open\n", 1, 4),
        ("a: ok\nb: 'open it''s\n", 2, 4),
        ("a: [\"x, y]\n", 1, 5),
        ("a: \"ends with backslash\\\n", 1, 4),
    ])
    func unterminatedQuoteNamesWhereItOpened(text: String, line: Int, column: Int) throws {
        let e = try #require(error(text))
        #expect(e == .unterminatedQuote(SourceLocation(file: "bad.yaml", line: line, column: column)))
    }

    @Test func invalidEscapeNamesTheSequence() throws {
        let e = try #require(error("a: 1\nb: \"x\\qy\"\n"))
        #expect(e == .invalidEscape(SourceLocation(file: "bad.yaml", line: 2, column: 6), sequence: "\\q"))
        let hex = try #require(error("b: \"\\u12G4\"\n"))
        guard case .invalidEscape(let at, "\\u12G4") = hex else { Issue.record("got \(hex)"); return }
        #expect(at.line == 1)
    }

    @Test(arguments: [
        ("a: 1\njust text\n", 2),
        ("a: [1, 2\n", 1),
        ("a: [\"x\" y]\n", 1),
        ("a: [1,, 2]\n", 1),
        ("a: {x: 1}\n", 1),
        ("a: |\n  text\n", 1),
        ("a: &anchor 1\n", 1),
        ("a: *alias\n", 1),
        ("a: !!str 1\n", 1),
        ("a: b: c\n", 1),
        ("a: \"x\" y\n", 1),
        ("a: - x\n", 1),
        ("a: 1\n---\nb: 2\n", 2),
        ("a: 99999999999999999999999\n", 1),
        ("a: @x\n", 1),
    ])
    func otherSyntaxErrorsNameTheLine(text: String, line: Int) throws {
        let e = try #require(error(text))
        guard case .syntax(let at, _) = e else { Issue.record("got \(e) for \(text.debugDescription)"); return }
        #expect(at.line == line, "\(e)")
    }
}

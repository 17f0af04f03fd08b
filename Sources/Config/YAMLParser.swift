/// Parser for the YAML subset of `cluster.yaml`:
///
/// - block maps (`key: value`, nested by indentation with spaces) and block lists
///   (`- item`, also `- key: value` items and lists directly under a key);
/// - flow lists on one line (`[a, "b, c", [1, 2]]`);
/// - plain scalars typed by the YAML 1.2 core schema (null, bool, int, float, string);
/// - single-quoted (`'it''s'`) and double-quoted strings with backslash escapes;
/// - full-line and trailing comments; an optional leading `---`.
///
/// Not supported, and reported as errors naming the line: flow maps, block
/// scalars (`|`, `>`), multi-line quoted or plain scalars, anchors, aliases,
/// tags, directives and multiple documents.
struct YAMLParser {
    /// One line with content, as Unicode scalars; `start` is where this line's
    /// block content begins (its indentation, or after a `- ` that opens a
    /// compact nested block).
    struct Line {
        var number: Int
        var text: [Unicode.Scalar]
        var start: Int
        var indent: Int { start }
    }

    /// Double-quoted escapes that stand for one character.
    private static let escapes: [Unicode.Scalar: Unicode.Scalar] = [
        "0": "\0", "a": "\u{07}", "b": "\u{08}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{0B}",
        "f": "\u{0C}", "r": "\r", "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\",
        "N": "\u{85}", "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
    ]

    /// Nesting beyond this is refused rather than risking the stack.
    static let maxDepth = 64

    let file: String
    private var lines: [Line] = []
    private var i = 0
    private var depth = 0

    init(text: String, file: String) throws(ConfigError) {
        self.file = file
        var all = Array(text.unicodeScalars)
        if all.first == "\u{FEFF}" { all.removeFirst() }
        var sawContent = false
        var number = 0
        var lineStart = 0
        while lineStart <= all.count {
            var end = lineStart
            while end < all.count, all[end] != "\n" { end += 1 }
            number += 1
            var chars = Array(all[lineStart..<end])
            if chars.last == "\r" { chars.removeLast() }
            lineStart = end + 1
            if end == all.count { lineStart = all.count + 1 }

            var k = 0
            while k < chars.count, chars[k] == " " || chars[k] == "\t" { k += 1 }
            if k == chars.count || chars[k] == "#" { continue }  // blank or comment-only
            if let tab = chars[0..<k].firstIndex(of: "\t") {
                throw .tabIndentation(SourceLocation(file: file, line: number, column: tab + 1))
            }
            let content = String(String.UnicodeScalarView(chars[k...]))
            if k == 0, content == "---" || content.hasPrefix("--- #") || content.hasPrefix("---\t") {
                if sawContent {
                    throw .syntax(SourceLocation(file: file, line: number, column: 1),
                                  detail: "multiple documents (a second ---) are not supported")
                }
                continue
            }
            if k == 0, content.hasPrefix("--- ") {
                throw .syntax(SourceLocation(file: file, line: number, column: 5),
                              detail: "content after --- is not supported; start it on the next line")
            }
            if k == 0, content == "..." || content.hasPrefix("... ") {
                throw .syntax(SourceLocation(file: file, line: number, column: 1),
                              detail: "document end markers (...) are not supported")
            }
            if k == 0, content.hasPrefix("%") {
                throw .syntax(SourceLocation(file: file, line: number, column: 1),
                              detail: "YAML directives (%...) are not supported")
            }
            sawContent = true
            lines.append(Line(number: number, text: chars, start: k))
        }
    }

    /// Parses the whole text. An empty document (only comments) is `null`.
    mutating func parseDocument() throws(ConfigError) -> YAMLNode {
        guard let first = lines.first else { return YAMLNode(.null, line: 1, column: 1) }
        let root = try parseBlock(indent: first.indent)
        if i < lines.count {
            throw .badIndentation(location(lines[i], lines[i].start),
                                  detail: "this line is indented less than the first line of the document")
        }
        return root
    }

    // MARK: - Blocks

    private mutating func parseBlock(indent: Int) throws(ConfigError) -> YAMLNode {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth {
            throw .syntax(location(lines[i], lines[i].start), detail: "nesting deeper than \(Self.maxDepth) levels")
        }
        return isListItem(lines[i]) ? try parseList(indent: indent, endsAtKey: false)
                                    : try parseMap(indent: indent)
    }

    /// A line deeper than the block it continues belongs to no block: an error naming both indents.
    private func requireIndent(_ line: Line, _ indent: Int) throws(ConfigError) {
        if line.indent > indent {
            throw .badIndentation(location(line, line.start),
                                  detail: "indented \(line.indent) spaces, which matches no enclosing block (expected \(indent))")
        }
    }

    private mutating func parseMap(indent: Int) throws(ConfigError) -> YAMLNode {
        let first = lines[i]
        var entries: [YAMLEntry] = []
        var firstLine: [String: Int] = [:]
        while i < lines.count {
            let line = lines[i]
            if line.indent < indent { break }
            try requireIndent(line, indent)
            if isListItem(line) {
                throw .badIndentation(location(line, line.start),
                                      detail: "a list item where a key was expected at this indentation")
            }
            var cur = line.start
            let key = try parseKey(line, &cur)
            i += 1
            let value: YAMLNode
            if restIsEmpty(line, cur) {
                if i < lines.count, lines[i].indent > indent {
                    value = try parseBlock(indent: lines[i].indent)
                } else if i < lines.count, lines[i].indent == indent, isListItem(lines[i]) {
                    value = try parseList(indent: indent, endsAtKey: true)
                } else {
                    value = YAMLNode(.null, line: line.number, column: cur + 1)
                }
            } else {
                while line.text[cur] == " " || line.text[cur] == "\t" { cur += 1 }
                value = try parseValue(line, &cur, flow: false)
                try expectEnd(line, cur)
                if i < lines.count, lines[i].indent > indent {
                    throw .badIndentation(location(lines[i], lines[i].start),
                                          detail: "unexpected indentation: \"\(key.name)\" on line \(line.number) already has a value")
                }
            }
            if let earlier = firstLine[key.name] {
                throw .duplicateKey(SourceLocation(file: file, line: line.number, column: key.column),
                                    key: key.name, firstLine: earlier)
            }
            firstLine[key.name] = line.number
            entries.append(YAMLEntry(key: key.name, line: line.number, column: key.column, value: value))
        }
        return YAMLNode(.map(entries), line: first.number, column: first.start + 1)
    }

    /// A block list at `indent`. `endsAtKey`: the list sits directly under a
    /// key at the same indentation, so a key line ends it instead of being an error.
    private mutating func parseList(indent: Int, endsAtKey: Bool) throws(ConfigError) -> YAMLNode {
        let first = lines[i]
        var items: [YAMLNode] = []
        while i < lines.count {
            let line = lines[i]
            if line.indent < indent { break }
            try requireIndent(line, indent)
            guard isListItem(line) else {
                if endsAtKey { break }
                throw .badIndentation(location(line, line.start),
                                      detail: "a key where a list item (- ...) was expected at this indentation")
            }
            var cur = line.start + 1
            while cur < line.text.count, line.text[cur] == " " || line.text[cur] == "\t" { cur += 1 }
            if restIsEmpty(line, cur) {
                i += 1
                if i < lines.count, lines[i].indent > indent {
                    items.append(try parseBlock(indent: lines[i].indent))
                } else {
                    items.append(YAMLNode(.null, line: line.number, column: cur + 1))
                }
            } else if startsCompactBlock(line, cur) {
                // `- key: value` or `- - item`: a nested block whose indentation
                // is the column of its first character.
                lines[i].start = cur
                items.append(try parseBlock(indent: cur))
            } else {
                i += 1
                items.append(try parseValue(line, &cur, flow: false))
                try expectEnd(line, cur)
                if i < lines.count, lines[i].indent > indent {
                    throw .badIndentation(location(lines[i], lines[i].start),
                                          detail: "unexpected indentation: the list item on line \(line.number) already has a value")
                }
            }
        }
        return YAMLNode(.list(items), line: first.number, column: first.start + 1)
    }

    private func isListItem(_ line: Line) -> Bool {
        let t = line.text, s = line.start
        return s < t.count && t[s] == "-" && (s + 1 == t.count || t[s + 1] == " " || t[s + 1] == "\t")
    }

    /// Whether the text at `cur` starts a nested block: a list item or a `key:`.
    private func startsCompactBlock(_ line: Line, _ cur: Int) -> Bool {
        let t = line.text
        if t[cur] == "-" && (cur + 1 == t.count || t[cur + 1] == " " || t[cur + 1] == "\t") { return true }
        var probe = cur
        return (try? findKeyEnd(line, &probe)) != nil
    }

    // MARK: - Keys

    private struct Key { var name: String; var column: Int }

    /// Reads `key:` at `cur`, leaving `cur` after the colon.
    private func parseKey(_ line: Line, _ cur: inout Int) throws(ConfigError) -> Key {
        let column = cur + 1
        guard let name = try findKeyEnd(line, &cur) else {
            throw .syntax(location(line, column - 1),
                          detail: "expected \"key: value\", found \(YAMLScalar.doubleQuoted(String(String.UnicodeScalarView(line.text[(column - 1)...]))))")
        }
        return Key(name: name, column: column)
    }

    /// The key at `cur` when the text there is `key:` followed by a space or the
    /// line's end (nil otherwise); moves `cur` past the colon. Throws for a
    /// quoted key that does not close.
    private func findKeyEnd(_ line: Line, _ cur: inout Int) throws(ConfigError) -> String? {
        let t = line.text
        let start = cur
        var name: String
        var p: Int
        if t[start] == "\"" || t[start] == "'" {
            p = start
            guard case .string(let s) = try parseQuoted(line, &p).value else { return nil }
            name = s
            while p < t.count, t[p] == " " || t[p] == "\t" { p += 1 }
            guard p < t.count, t[p] == ":" else { return nil }
        } else {
            if !canStartPlain(t, start, flow: false) { return nil }
            p = start
            while true {
                if p >= t.count { return nil }
                if t[p] == ":" && (p + 1 == t.count || t[p + 1] == " " || t[p + 1] == "\t") { break }
                if t[p] == "#", p > start, t[p - 1] == " " || t[p - 1] == "\t" { return nil }
                p += 1
            }
            name = String(String.UnicodeScalarView(t[start..<p]))
            while name.last == " " || name.last == "\t" { name.removeLast() }
            if name.isEmpty { return nil }
        }
        cur = p + 1
        return name
    }

    // MARK: - Values

    /// A value starting at `cur` (which is not blank): quoted string, flow list
    /// or plain scalar. In flow context plain scalars end at `,` and `]`.
    private mutating func parseValue(_ line: Line, _ cur: inout Int, flow: Bool) throws(ConfigError) -> YAMLNode {
        let t = line.text
        let c = t[cur]
        switch c {
        case "\"", "'":
            return try parseQuoted(line, &cur)
        case "[":
            return try parseFlowList(line, &cur)
        case "{":
            throw .syntax(location(line, cur), detail: "flow maps ({...}) are not supported; use a block map")
        case "|", ">":
            if !flow {
                throw .syntax(location(line, cur),
                              detail: "block scalars (| and >) are not supported; use a quoted string with \\n escapes")
            }
        case "&", "*", "!":
            throw .syntax(location(line, cur), detail: "anchors, aliases and tags (&, *, !) are not supported; quote the value if it is a string")
        default:
            break
        }
        guard canStartPlain(t, cur, flow: flow) else {
            if c == "-" && !flow {
                throw .syntax(location(line, cur), detail: "a list cannot start on the same line as its key; put \"- item\" on the next line")
            }
            throw .syntax(location(line, cur), detail: "\"\(Character(c))\" cannot start a plain value; quote the value")
        }
        let start = cur
        while cur < t.count {
            let ch = t[cur]
            if ch == "#", t[cur - 1] == " " || t[cur - 1] == "\t" { break }
            if ch == ":" && (cur + 1 == t.count || t[cur + 1] == " " || t[cur + 1] == "\t") {
                throw .syntax(location(line, cur),
                              detail: flow ? "maps inside flow lists are not supported"
                                           : "a value cannot contain \": \" unless it is quoted")
            }
            if flow && (ch == "," || ch == "]") { break }
            if flow && (ch == "[" || ch == "{" || ch == "}") {
                throw .syntax(location(line, cur), detail: "\"\(Character(ch))\" inside a plain value in a flow list; quote the value")
            }
            cur += 1
        }
        var end = cur
        while end > start, t[end - 1] == " " || t[end - 1] == "\t" { end -= 1 }
        let text = String(String.UnicodeScalarView(t[start..<end]))
        switch YAMLScalar.resolve(plain: text) {
        case .success(let value):
            return YAMLNode(value, line: line.number, column: start + 1, source: text)
        case .failure:
            throw .syntax(location(line, start), detail: "integer \(text) is out of range")
        }
    }

    /// Plain scalars may not start with an indicator, except `-`, `?` and `:`
    /// followed by a non-space character (`-1`, `:x`).
    private func canStartPlain(_ t: [Unicode.Scalar], _ p: Int, flow: Bool) -> Bool {
        let c = t[p]
        if c == " " || c == "\t" { return false }
        if c == "-" || c == "?" || c == ":" {
            guard p + 1 < t.count else { return false }
            let n = t[p + 1]
            return n != " " && n != "\t" && !(flow && (n == "," || n == "]" || n == "["))
        }
        return !YAMLScalar.indicators.contains(c)
    }

    private mutating func parseFlowList(_ line: Line, _ cur: inout Int) throws(ConfigError) -> YAMLNode {
        let t = line.text
        let open = cur
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth {
            throw .syntax(location(line, open), detail: "nesting deeper than \(Self.maxDepth) levels")
        }
        func unterminated() -> ConfigError {
            .syntax(location(line, open), detail: "unterminated flow list: \"[\" must be closed by \"]\" on the same line")
        }
        func skipBlanks(_ p: inout Int) {
            while p < t.count, t[p] == " " || t[p] == "\t" { p += 1 }
        }
        cur += 1
        var items: [YAMLNode] = []
        while true {
            skipBlanks(&cur)
            guard cur < t.count, !(t[cur] == "#" && (t[cur - 1] == " " || t[cur - 1] == "\t")) else { throw unterminated() }
            if t[cur] == "]" { cur += 1; break }
            if t[cur] == "," {
                throw .syntax(location(line, cur), detail: "empty item in a flow list")
            }
            items.append(try parseValue(line, &cur, flow: true))
            skipBlanks(&cur)
            guard cur < t.count else { throw unterminated() }
            if t[cur] == "," { cur += 1; continue }
            if t[cur] == "]" { cur += 1; break }
            if t[cur] == "#" && (t[cur - 1] == " " || t[cur - 1] == "\t") { throw unterminated() }
            throw .syntax(location(line, cur), detail: "expected \",\" or \"]\" in the flow list")
        }
        return YAMLNode(.list(items), line: line.number, column: open + 1)
    }

    /// A single- or double-quoted string starting at `cur`; leaves `cur` after the closing quote.
    private func parseQuoted(_ line: Line, _ cur: inout Int) throws(ConfigError) -> YAMLNode {
        let t = line.text
        let open = cur
        let quote = t[cur]
        var out = String.UnicodeScalarView()
        var p = cur + 1
        while true {
            guard p < t.count else { throw .unterminatedQuote(location(line, open)) }
            let c = t[p]
            if quote == "'" {
                if c == "'" {
                    if p + 1 < t.count, t[p + 1] == "'" { out.append("'"); p += 2; continue }
                    p += 1
                    break
                }
                out.append(c)
                p += 1
                continue
            }
            if c == "\"" { p += 1; break }
            if c != "\\" { out.append(c); p += 1; continue }
            guard p + 1 < t.count else { throw .unterminatedQuote(location(line, open)) }
            let e = t[p + 1]
            if let s = Self.escapes[e] { out.append(s); p += 2; continue }
            let width = e == "x" ? 2 : e == "u" ? 4 : e == "U" ? 8 : 0
            let sequenceEnd = min(t.count, p + 2 + width)
            let sequence = String(String.UnicodeScalarView(t[p..<sequenceEnd]))
            guard width > 0 else {
                throw .invalidEscape(location(line, p), sequence: sequence)
            }
            let hex = String(String.UnicodeScalarView(t[(p + 2)..<sequenceEnd]))
            guard hex.count == width, hex.unicodeScalars.allSatisfy({ YAMLScalar.isDigit($0, radix: 16) }),
                  let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                throw .invalidEscape(location(line, p), sequence: sequence)
            }
            out.append(scalar)
            p = sequenceEnd
        }
        cur = p
        let s = String(out)
        return YAMLNode(.string(s), line: line.number, column: open + 1, source: s)
    }

    // MARK: - Helpers

    /// Nothing but blanks and an optional comment from `cur` to the line's end.
    private func restIsEmpty(_ line: Line, _ cur: Int) -> Bool {
        var p = cur
        while p < line.text.count, line.text[p] == " " || line.text[p] == "\t" { p += 1 }
        return p == line.text.count || (line.text[p] == "#" && (p == 0 || line.text[p - 1] == " " || line.text[p - 1] == "\t"))
    }

    private func expectEnd(_ line: Line, _ cur: Int) throws(ConfigError) {
        guard restIsEmpty(line, cur) else {
            var p = cur
            while p < line.text.count, line.text[p] == " " || line.text[p] == "\t" { p += 1 }
            let rest = String(String.UnicodeScalarView(line.text[p...]))
            throw .syntax(location(line, p), detail: "unexpected text after the value: \(YAMLScalar.doubleQuoted(rest))")
        }
    }

    private func location(_ line: Line, _ index: Int) -> SourceLocation {
        SourceLocation(file: file, line: line.number, column: index + 1)
    }
}

extension YAMLNode {
    /// Parses `text` (the YAML subset described on `YAMLParser`); `file` names it in errors.
    /// - Throws: `ConfigError` naming the line and column of the first problem.
    public static func parse(_ text: String, file: String = "<string>") throws(ConfigError) -> YAMLNode {
        var parser = try YAMLParser(text: text, file: file)
        return try parser.parseDocument()
    }
}

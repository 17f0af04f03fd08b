import Testing
@testable import Config

@Suite struct YAMLParserTests {
    private func parse(_ text: String) throws -> YAMLNode { try YAMLNode.parse(text, file: "test.yaml") }

    @Test func nestedBlockMapsKeepOrderAndPositions() throws {
        let root = try parse("""
            a: 1
            b:
              c: x
              d:
                e: true
            f: 2
            """)
        guard case .map(let entries) = root.value else { Issue.record("not a map"); return }
        #expect(entries.map(\.key) == ["a", "b", "f"])
        #expect(entries[2].line == 6)
        #expect(root["b"]?["c"]?.value == .string("x"))
        #expect(root["b"]?["d"]?["e"]?.value == .bool(true))
        #expect(root["b"]?["d"]?["e"]?.line == 5)
        #expect(root["b"]?["d"]?["e"]?.column == 8)
    }

    @Test func scalarsAreTypedByTheCoreSchema() throws {
        let root = try parse("""
            n1: null
            n2: ~
            n3:
            t: true
            f: False
            i: -42
            p: +7
            h: 0x1F
            o: 0o17
            big: 18446744073709551615
            fl: 2.5e-4
            fd: .5
            fe: 1e3
            inf: -.inf
            nan: .nan
            s: hello world
            v: 1.2.3
            yes: yes
            url: http://x:80/a#b
            """)
        #expect(root["n1"]?.value == .null)
        #expect(root["n2"]?.value == .null)
        #expect(root["n3"]?.value == .null)
        #expect(root["t"]?.value == .bool(true))
        #expect(root["f"]?.value == .bool(false))
        #expect(root["i"]?.value == .int(-42))
        #expect(root["p"]?.value == .int(7))
        #expect(root["h"]?.value == .int(31))
        #expect(root["o"]?.value == .int(15))
        #expect(root["big"]?.value == .unsignedInt(UInt64.max))
        #expect(root["fl"]?.value == .float(2.5e-4))
        #expect(root["fd"]?.value == .float(0.5))
        #expect(root["fe"]?.value == .float(1000))
        #expect(root["inf"]?.value == .float(-.infinity))
        if case .float(let v)? = root["nan"]?.value { #expect(v.isNaN) } else { Issue.record("nan is not a float") }
        #expect(root["s"]?.value == .string("hello world"))
        #expect(root["v"]?.value == .string("1.2.3"))
        #expect(root["yes"]?.value == .string("yes"))
        #expect(root["url"]?.value == .string("http://x:80/a#b"))
    }

    @Test func commentsAreIgnoredOutsideQuotes() throws {
        let root = try parse("""
            # full line
              # indented full line
            a: 1 # trailing
            b: "x # not a comment" # but this is
            c: 'y#z'
            d: p#q
            e: [1, 2] # after a list
            f:   # empty value with comment
            """)
        #expect(root["a"]?.value == .int(1))
        #expect(root["b"]?.value == .string("x # not a comment"))
        #expect(root["c"]?.value == .string("y#z"))
        #expect(root["d"]?.value == .string("p#q"))
        #expect(root["e"]?.value == .list([YAMLNode(.int(1)), YAMLNode(.int(2))]))
        #expect(root["f"]?.value == .null)
    }

    @Test func quotedStringsDecodeTheirEscapes() throws {
        let root = try parse(#"""
            d: "tab\there \"q\" back\\slash \u00e9 \x41 \U0001F600 \n"
            s: 'it''s "raw" \n'
            e: ""
            k: "123"
            "quoted key": 1
            'single key': 2
            """#)
        #expect(root["d"]?.value == .string("tab\there \"q\" back\\slash é A 😀 \n"))
        #expect(root["s"]?.value == .string("it's \"raw\" \\n"))
        #expect(root["e"]?.value == .string(""))
        #expect(root["k"]?.value == .string("123"))
        #expect(root["quoted key"]?.value == .int(1))
        #expect(root["single key"]?.value == .int(2))
    }

    @Test func blockListsInAllTheirForms() throws {
        let root = try parse("""
            indented:
              - a
              - "b c"
              - 3
            compact:
            - x
            - y
            after: 1
            maps:
              - name: w1
                port: 1
              - name: w2
            nested:
              - - 1
                - 2
              -
                - 3
            empty_item:
              -
            """)
        #expect(root["indented"]?.value == .list([YAMLNode(.string("a")), YAMLNode(.string("b c")), YAMLNode(.int(3))]))
        #expect(root["compact"]?.value == .list([YAMLNode(.string("x")), YAMLNode(.string("y"))]))
        #expect(root["after"]?.value == .int(1))
        guard case .list(let maps)? = root["maps"]?.value else { Issue.record("maps is not a list"); return }
        #expect(maps.count == 2)
        #expect(maps[0]["name"]?.value == .string("w1"))
        #expect(maps[0]["port"]?.value == .int(1))
        #expect(maps[1]["name"]?.value == .string("w2"))
        #expect(root["nested"]?.value == .list([
            YAMLNode(.list([YAMLNode(.int(1)), YAMLNode(.int(2))])),
            YAMLNode(.list([YAMLNode(.int(3))])),
        ]))
        #expect(root["empty_item"]?.value == .list([YAMLNode(.null)]))
    }

    @Test func flowListsNestAndQuote() throws {
        let root = try parse("""
            a: []
            b: [1, two, "three, four", 'five]', [6, [7]], 8.5,]
            c: [ spaced , out ]
            """)
        #expect(root["a"]?.value == .list([]))
        #expect(root["b"]?.value == .list([
            YAMLNode(.int(1)), YAMLNode(.string("two")), YAMLNode(.string("three, four")),
            YAMLNode(.string("five]")),
            YAMLNode(.list([YAMLNode(.int(6)), YAMLNode(.list([YAMLNode(.int(7))]))])),
            YAMLNode(.float(8.5)),
        ]))
        #expect(root["c"]?.value == .list([YAMLNode(.string("spaced")), YAMLNode(.string("out"))]))
    }

    @Test func documentMarkerCRLFAndBOMAreAccepted() throws {
        let root = try parse("\u{FEFF}---\r\na: 1\r\nb:\r\n  c: 2\r\n")
        #expect(root["a"]?.value == .int(1))
        #expect(root["b"]?["c"]?.value == .int(2))
    }

    @Test func emptyDocumentIsNull() throws {
        #expect(try parse("").value == .null)
        #expect(try parse("# only a comment\n\n").value == .null)
    }

    @Test func renderedYAMLParsesBackToTheSameTree() throws {
        let tricky = ["", "plain", "with space", " lead", "trail ", "a: b", "x #y", "#c", "- dash", "[x]", "a,b",
                      "true", "null", "12", "1.5", "0x10", "quote\"s", "back\\slash", "tab\tnew\nline", "é😀",
                      "key:", "'single'", "{", "*star", "\u{7}", "~"]
        let node = YAMLNode(.map([
            YAMLEntry(key: "strings", value: YAMLNode(.list(tricky.map { YAMLNode(.string($0)) }))),
            YAMLEntry(key: "odd key: #1", value: YAMLNode(.int(-3))),
            YAMLEntry(key: "numbers", value: YAMLNode(.map([
                YAMLEntry(key: "f", value: YAMLNode(.float(1e-10))),
                YAMLEntry(key: "g", value: YAMLNode(.float(10))),
                YAMLEntry(key: "h", value: YAMLNode(.float(-.infinity))),
                YAMLEntry(key: "u", value: YAMLNode(.unsignedInt(UInt64.max))),
                YAMLEntry(key: "n", value: YAMLNode(.null)),
                YAMLEntry(key: "b", value: YAMLNode(.bool(false))),
            ]))),
            YAMLEntry(key: "maps", value: YAMLNode(.list([
                YAMLNode(.map([YAMLEntry(key: "a", value: YAMLNode(.int(1))),
                               YAMLEntry(key: "b", value: YAMLNode(.list([YAMLNode(.int(2))])))])),
                YAMLNode(.list([YAMLNode(.map([YAMLEntry(key: "deep", value: YAMLNode(.string("x")))]))])),
            ]))),
        ]))
        let text = node.yamlText
        #expect(try parse(text) == node, "rendered:\n\(text)")
    }

    @Test func garbageNeverCrashesTheParser() {
        var generator = SplitMix(seed: 7)
        let alphabet = Array("ab:- #'\"[],\\\t\n{}|>&*!%@`0.x")
        for _ in 0..<3000 {
            let length = Int(generator.next() % 40)
            let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            do {
                _ = try YAMLNode.parse(text)
            } catch {
                #expect(error.location?.line ?? 0 >= 1, "\(error) for \(text.debugDescription)")
            }
        }
    }

    @Test func deepNestingIsRefusedNotOverflowed() {
        let deep = (0..<200).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
        #expect(throws: ConfigError.self) { try YAMLNode.parse(deep) }
        let flow = "a: " + String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: ConfigError.self) { try YAMLNode.parse(flow) }
    }
}

/// A tiny deterministic generator for fuzz inputs.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

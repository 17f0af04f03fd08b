import Testing
@testable import Dashboard

@Suite struct HTTPRequestParserTests {
    let limits = HTTPServer.Limits()

    private func parse(_ text: String, limits: HTTPServer.Limits? = nil) -> HTTPRequestParser.Outcome {
        HTTPRequestParser.parse(Array(text.utf8), limits: limits ?? self.limits)
    }

    private func status(_ outcome: HTTPRequestParser.Outcome) -> Int? {
        if case .invalid(let status, _) = outcome { return status }
        return nil
    }

    @Test func aCompleteGetIsParsed() throws {
        let text = "GET /val/epoch_001/a%20b.png?x=1&y HTTP/1.1\r\nHost: h\r\nX-Thing:  spaced value \r\n\r\nNEXT"
        guard case .complete(let request, let consumed) = parse(text) else { Issue.record("not complete"); return }
        #expect(request.method == "GET")
        #expect(request.path == "/val/epoch_001/a b.png")
        #expect(request.query == "x=1&y")
        #expect(request.version == "HTTP/1.1")
        #expect(request.header("x-thing") == "spaced value")
        #expect(request.header("HOST") == "h")
        #expect(consumed == text.utf8.count - 4)
        #expect(request.wantsKeepAlive)
    }

    @Test func bareLineFeedsAndLeadingBlankLinesAreTolerated() {
        guard case .complete(let request, _) = parse("\r\n\nGET / HTTP/1.0\nAccept: */*\n\n") else { Issue.record("not complete"); return }
        #expect(request.path == "/")
        #expect(!request.wantsKeepAlive)
    }

    @Test func absoluteFormTargetsUseTheirPath() {
        guard case .complete(let request, _) = parse("GET http://example:8080/health HTTP/1.1\r\nHost: x\r\n\r\n") else { Issue.record("not complete"); return }
        #expect(request.path == "/health")
    }

    @Test func partialHeadsWaitForMoreBytes() {
        #expect(parse("") == .incomplete)
        #expect(parse("GE") == .incomplete)
        #expect(parse("GET / HTTP/1.1\r\nHost: x\r\n") == .incomplete)
    }

    @Test(arguments: [
        "GARBAGE\r\n\r\n",
        "\u{16}\u{03}\u{01}\u{02}\u{00}",          // a TLS client hello
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTX/1.1\r\nHost: x\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET relative HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /%ff HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
    ])
    func malformedRequestsAre400(text: String) {
        #expect(status(parse(text)) == 400, "\(text.debugDescription)")
    }

    @Test func otherVersionsAre505AndBodiesByChunks501() {
        #expect(status(parse("GET / HTTP/2.0\r\n\r\n")) == 505)
        #expect(status(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")) == 501)
    }

    @Test func limitsAreEnforcedBeforeTheHeadEnds() {
        let longLine = "GET /" + String(repeating: "a", count: 5000)
        #expect(status(parse(longLine)) == 414)
        let bigHeader = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 9000)
        #expect(status(parse(bigHeader)) == 431)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<70).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(status(parse(manyHeaders)) == 431)
    }

    @Test func randomBytesNeverTrapAndAreJudged() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0...300, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            switch HTTPRequestParser.parse(bytes, limits: limits) {
            case .incomplete, .invalid: break
            case .complete(_, let consumed): #expect(consumed <= bytes.count)
            }
        }
    }
}

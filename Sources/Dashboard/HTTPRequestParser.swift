/// Parses request heads from the bytes received so far, within `HTTPServer.Limits`.
///
/// Never reads past the buffer, never traps: every malformed input ends in
/// `.invalid` with the status to answer (400, 414, 431, 501, 505).
enum HTTPRequestParser {
    enum Outcome: Equatable {
        /// More bytes are needed (and allowed by the limits).
        case incomplete
        /// A whole head: the request and how many bytes it used.
        case complete(HTTPRequest, consumed: Int)
        /// Refuse the request with `status`; `reason` is told to the client.
        case invalid(status: Int, reason: String)
    }

    static let maxMethodLength = 16

    static func parse(_ bytes: [UInt8], limits: HTTPServer.Limits) -> Outcome {
        // Clients may send stray empty lines before a request (RFC 9112, 2.2).
        var start = 0
        while start < bytes.count, bytes[start] == 0x0D || bytes[start] == 0x0A { start += 1 }
        if start > 64 { return .invalid(status: 400, reason: "too many empty lines before the request") }

        // The request line can be judged as soon as it is complete, so garbage
        // is refused without waiting for the rest of the head.
        guard let lineEnd = firstIndex(of: 0x0A, in: bytes, from: start) else {
            if bytes.count - start > limits.maxRequestLineBytes {
                return .invalid(status: 414, reason: "request line longer than \(limits.maxRequestLineBytes) bytes")
            }
            if bytes.count - start > 0, !looksLikeMethodPrefix(bytes[start...]) {
                return .invalid(status: 400, reason: "this is not an HTTP request")
            }
            return .incomplete
        }
        if lineEnd - start > limits.maxRequestLineBytes {
            return .invalid(status: 414, reason: "request line longer than \(limits.maxRequestLineBytes) bytes")
        }
        let requestLine: (method: String, target: String, version: String)
        switch parseRequestLine(trimCR(bytes[start..<lineEnd])) {
        case .success(let line): requestLine = line
        case .failure(let failure): return .invalid(status: failure.status, reason: failure.reason)
        }

        // Header lines up to the empty line.
        var headers: [HTTPHeader] = []
        var p = lineEnd + 1
        while true {
            guard let end = firstIndex(of: 0x0A, in: bytes, from: p) else {
                if bytes.count - start > limits.maxHeadBytes {
                    return .invalid(status: 431, reason: "request head larger than \(limits.maxHeadBytes) bytes")
                }
                return .incomplete
            }
            if end + 1 - start > limits.maxHeadBytes {
                return .invalid(status: 431, reason: "request head larger than \(limits.maxHeadBytes) bytes")
            }
            let line = trimCR(bytes[p..<end])
            p = end + 1
            if line.isEmpty { break }
            if headers.count == limits.maxHeaderCount {
                return .invalid(status: 431, reason: "more than \(limits.maxHeaderCount) header lines")
            }
            switch parseHeader(line) {
            case .success(let header): headers.append(header)
            case .failure(let failure): return .invalid(status: failure.status, reason: failure.reason)
            }
        }

        guard let (path, query) = splitTarget(requestLine.target) else {
            return .invalid(status: 400, reason: "malformed request target")
        }
        let request = HTTPRequest(method: requestLine.method, target: requestLine.target, path: path,
                                  query: query, version: requestLine.version, headers: headers)
        if request.header("Transfer-Encoding") != nil {
            return .invalid(status: 501, reason: "request bodies (Transfer-Encoding) are not supported")
        }
        let lengths = headers.filter { $0.name.lowercased() == "content-length" }.map(\.value)
        if !lengths.isEmpty {
            guard Set(lengths).count == 1, let length = lengths.first, !length.isEmpty, length.count <= 18,
                  length.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return .invalid(status: 400, reason: "malformed Content-Length")
            }
        }
        if request.version == "HTTP/1.1", request.header("Host") == nil {
            return .invalid(status: 400, reason: "HTTP/1.1 requests must have a Host header")
        }
        return .complete(request, consumed: p)
    }

    /// Splits an origin-form (`/a/b?q`) or absolute-form (`http://h/a/b?q`) target
    /// into its percent-decoded path and raw query; nil when malformed.
    static func splitTarget(_ target: String) -> (path: String, query: String)? {
        var rest = Substring(target)
        for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(of: "/") else { return ("/", "") }
            rest = rest[slash...]
        }
        guard rest.hasPrefix("/"), !rest.contains("#") else { return nil }
        let rawPath: Substring
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            rawPath = rest[..<mark]
            query = String(rest[rest.index(after: mark)...])
        } else {
            rawPath = rest
        }
        guard let path = percentDecoded(rawPath), !path.contains("\0") else { return nil }
        return (path, query)
    }

    /// `%XX` decoded; nil for a bad escape or bytes that are not UTF-8.
    static func percentDecoded(_ s: Substring) -> String? {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            guard b == 0x25 else { out.append(b); continue }
            guard bytes.count >= 2, let hi = hexValue(bytes[bytes.startIndex]),
                  let lo = hexValue(bytes[bytes.startIndex + 1]) else { return nil }
            out.append(hi << 4 | lo)
            bytes = bytes.dropFirst(2)
        }
        return String(validating: out, as: UTF8.self)
    }

    private struct Failure: Error {
        var status: Int
        var reason: String
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<(method: String, target: String, version: String), Failure> {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .failure(Failure(status: 400, reason: "the request line must be METHOD TARGET HTTP/1.1"))
        }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.count <= maxMethodLength, method.allSatisfy(isTokenByte) else {
            return .failure(Failure(status: 400, reason: "malformed method"))
        }
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(Failure(status: 400, reason: "malformed request target"))
        }
        let versionText = String(decoding: version, as: UTF8.self)
        guard versionText == "HTTP/1.1" || versionText == "HTTP/1.0" else {
            let v = Array(version)
            if v.count == 8, versionText.hasPrefix("HTTP/"), isDigit(v[5]), v[6] == 0x2E, isDigit(v[7]) {
                return .failure(Failure(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are supported"))
            }
            return .failure(Failure(status: 400, reason: "malformed HTTP version"))
        }
        return .success((String(decoding: method, as: UTF8.self), String(decoding: target, as: UTF8.self), versionText))
    }

    private static func parseHeader(_ line: ArraySlice<UInt8>) -> Result<HTTPHeader, Failure> {
        if let first = line.first, first == 0x20 || first == 0x09 {
            return .failure(Failure(status: 400, reason: "folded header lines are not allowed"))
        }
        guard let colon = line.firstIndex(of: 0x3A) else {
            return .failure(Failure(status: 400, reason: "header line without \":\""))
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            return .failure(Failure(status: 400, reason: "malformed header name"))
        }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 0x20 || f == 0x09 { value.removeFirst() }
        while let l = value.last, l == 0x20 || l == 0x09 { value.removeLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            return .failure(Failure(status: 400, reason: "control character in a header value"))
        }
        return .success(HTTPHeader(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// Whether `bytes` could still become a method followed by a space.
    private static func looksLikeMethodPrefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        for (k, b) in bytes.enumerated() {
            if b == 0x20 { return k > 0 }
            if k >= maxMethodLength || !isTokenByte(b) { return false }
        }
        return true
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    private static func trimCR(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.last == 0x0D ? line.dropLast() : line
    }

    private static func firstIndex(of byte: UInt8, in bytes: [UInt8], from start: Int) -> Int? {
        var k = start
        while k < bytes.count {
            if bytes[k] == byte { return k }
            k += 1
        }
        return nil
    }
}

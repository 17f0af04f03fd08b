/// A response the server sends with a `Content-Length` (no chunked encoding).
public struct HTTPResponse: Sendable, Equatable {
    /// Status code (200, 404, ...).
    public var status: Int
    /// Headers besides `Content-Length`, `Connection` and `Date`, which the server adds.
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Headers every response carries: no sniffing, no framing, nothing fetched
    /// from elsewhere (the page is self-contained).
    static let securityHeaders = [
        HTTPHeader("X-Content-Type-Options", "nosniff"),
        HTTPHeader("X-Frame-Options", "DENY"),
        HTTPHeader("Referrer-Policy", "no-referrer"),
        HTTPHeader("Content-Security-Policy",
                   "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'"),
    ]

    /// `text/plain; charset=utf-8`.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8"),
                                               HTTPHeader("Cache-Control", "no-store")] + securityHeaders,
                     body: Array(text.utf8))
    }

    /// `text/html; charset=utf-8`, never cached (it changes every step).
    public static func html(_ html: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "text/html; charset=utf-8"),
                                            HTTPHeader("Cache-Control", "no-store")] + securityHeaders,
                     body: Array(html.utf8))
    }

    /// `application/json`, never cached.
    public static func json(_ bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json"),
                                            HTTPHeader("Cache-Control", "no-store")] + securityHeaders,
                     body: bytes)
    }

    /// `image/png`; validation images never change once written, so browsers may cache them briefly.
    public static func png(_ bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "image/png"),
                                            HTTPHeader("Cache-Control", "max-age=300")] + securityHeaders,
                     body: bytes)
    }

    /// A plain-text error page: `404 Not Found` and, when given, why.
    public static func error(_ status: Int, _ detail: String = "") -> HTTPResponse {
        let line = "\(status) \(reasonPhrase(status))"
        return text(detail.isEmpty ? line + "\n" : line + ": " + detail + "\n", status: status)
    }

    /// The standard reason phrase of `status`.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }

    /// The bytes on the wire: status line, headers (plus `Content-Length`,
    /// `Connection`), blank line and, unless `includeBody` is false (HEAD), the body.
    public func serialized(keepAlive: Bool, includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
        for header in headers {
            // Header injection is impossible by construction, but refuse it anyway.
            guard !header.name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }),
                  !header.value.contains(where: { $0 == "\r" || $0 == "\n" }) else { continue }
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        head += "\r\n"
        return includeBody ? Array(head.utf8) + body : Array(head.utf8)
    }
}

/// One header line of a request or response.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A parsed HTTP/1.x request head (the server reads no bodies).
public struct HTTPRequest: Sendable, Equatable {
    /// `GET`, `HEAD`, ... (case-sensitive, as sent).
    public var method: String
    /// The request target as sent (`/val/epoch_001/a.png?x=1`).
    public var target: String
    /// The target's path, percent-decoded, without the query (`/val/epoch_001/a.png`).
    public var path: String
    /// The raw query after `?`, or empty.
    public var query: String
    /// `HTTP/1.0` or `HTTP/1.1`.
    public var version: String
    public var headers: [HTTPHeader]

    public init(method: String, target: String, path: String, query: String = "",
                version: String = "HTTP/1.1", headers: [HTTPHeader] = []) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
    }

    /// A GET request for `target`, for tests and in-process use.
    /// Returns nil when `target` is not a valid origin-form target.
    public static func get(_ target: String) -> HTTPRequest? {
        guard let (path, query) = HTTPRequestParser.splitTarget(target) else { return nil }
        return HTTPRequest(method: "GET", target: target, path: path, query: query)
    }

    /// The first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Whether the client wants the connection kept open after this request.
    public var wantsKeepAlive: Bool {
        let connection = header("Connection")?.lowercased() ?? ""
        let tokens = connection.split(separator: ",").map { $0.trimmed(of: " \t") }
        if tokens.contains("close") { return false }
        return version == "HTTP/1.1" || tokens.contains("keep-alive")
    }
}

extension Substring {
    func trimmed(of set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

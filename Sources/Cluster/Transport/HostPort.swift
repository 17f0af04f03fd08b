/// A `HOST:PORT` pair as written in `cluster.yaml` and on command lines
/// (`[v6addr]:port` for IPv6).
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// Parses `HOST:PORT`; throws `TransportError.badAddress` naming what is wrong.
    public init(parsing text: String) throws(TransportError) {
        let s = Substring(text.trimmedWhitespace)
        var host: Substring
        var portText: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { throw .badAddress(text, reason: "missing ']' after the IPv6 address") }
            host = s[s.index(after: s.startIndex)..<close]
            let rest = s[s.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .badAddress(text, reason: "missing ':PORT' after ']'") }
            portText = rest.dropFirst()
        } else {
            guard let colon = s.lastIndex(of: ":") else { throw .badAddress(text, reason: "missing ':PORT'") }
            host = s[..<colon]
            portText = s[s.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw .badAddress(text, reason: "port '\(portText)' is not a number in 0...65535")
        }
        guard !host.isEmpty else { throw .badAddress(text, reason: "empty host") }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension String {
    /// The string without leading and trailing spaces, tabs, CRs and LFs.
    var trimmedWhitespace: String {
        let blank: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n"]
        var scalars = Substring(self).unicodeScalars
        while let f = scalars.first, blank.contains(f) { scalars.removeFirst() }
        while let l = scalars.last, blank.contains(l) { scalars.removeLast() }
        return String(scalars)
    }
}

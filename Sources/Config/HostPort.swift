/// A `HOST:PORT` listen or connect address as written in `cluster.yaml`.
///
/// HOST is an IPv4 address (`127.0.0.1`, `0.0.0.0`), a host name (`localhost`,
/// `node-1.lan`) or an IPv6 address in brackets (`[::1]`); PORT is 0...65535
/// (0: any free port, reported once bound).
public struct HostPort: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The host without brackets.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`.
    /// - Throws: `HostPortError` saying what is wrong with `text`.
    public init(parsing text: String) throws(HostPortError) {
        func fail(_ reason: String) -> HostPortError { HostPortError(text: text, reason: reason) }
        let hostPart: String
        let portPart: String
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("missing \"]\" after the IPv6 address") }
            hostPart = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("expected \":PORT\" after \"]\"") }
            portPart = String(rest.dropFirst())
            guard Self.isIPv6(hostPart) else { throw fail("\"\(hostPart)\" is not an IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("expected HOST:PORT, e.g. 127.0.0.1:8080") }
            hostPart = String(text[..<colon])
            portPart = String(text[text.index(after: colon)...])
            guard !hostPart.isEmpty else { throw fail("the host is empty (use 0.0.0.0 for all interfaces)") }
            guard !hostPart.contains(":") else { throw fail("IPv6 addresses must be in brackets, e.g. [::1]:8080") }
            guard Self.isIPv4(hostPart) || Self.isHostName(hostPart) else {
                throw fail("\"\(hostPart)\" is neither an IPv4 address nor a host name")
            }
        }
        guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portPart), port <= 65535 else {
            throw fail("the port must be a number from 0 to 65535, found \"\(portPart)\"")
        }
        self.init(host: hostPart, port: port)
    }

    /// `HOST:PORT`, IPv6 hosts in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether the host is this machine only (`127.x.x.x`, `localhost`, `::1`).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || (Self.isIPv4(host) && host.hasPrefix("127."))
    }

    /// Whether the host means every interface (`0.0.0.0`, `::`).
    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { $0.isASCII && $0.isNumber }
                && (Int(part) ?? 256) <= 255
        }
    }

    static func isHostName(_ s: String) -> Bool {
        guard s.utf8.count <= 253, !s.allSatisfy({ $0.isNumber || $0 == "." }) else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isIPv6(_ s: String) -> Bool {
        s.filter { $0 == ":" }.count >= 2 && s.count <= 45
            && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}

/// Why a `HOST:PORT` string was refused.
public struct HostPortError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was parsed.
    public var text: String
    public var reason: String
    public var description: String { "\"\(text)\" is not a valid HOST:PORT address: \(reason)" }
}

/// `HOST:PORT` as the dashboard is told to listen on (IPv6 hosts in brackets).
struct ListenAddress: Equatable {
    var host: String
    var port: Int

    /// Parses `HOST:PORT`; nil with a reason when malformed.
    static func parse(_ text: String) -> Result<ListenAddress, DashboardError> {
        func fail(_ reason: String) -> Result<ListenAddress, DashboardError> { .failure(.invalidAddress(text, reason: reason)) }
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return fail("expected [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return fail("expected HOST:PORT") }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") { return fail("IPv6 addresses must be in brackets") }
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else {
            return fail("malformed host")
        }
        guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(port), p <= 65535 else {
            return fail("the port must be a number from 0 to 65535")
        }
        return .success(ListenAddress(host: String(host), port: p))
    }

    /// Only this machine can connect: `127.x.x.x`, `localhost`, `::1`.
    var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}

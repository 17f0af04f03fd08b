import Config

extension HostPort {
    /// Parses `HOST:PORT` as a transport error (see `Config.HostPort(parsing:)`).
    static func parse(_ text: String) throws(TransportError) -> HostPort {
        do { return try HostPort(parsing: text) } catch { throw .badAddress(text, reason: error.reason) }
    }
}

extension HostPort {
    /// A random port for a process started with a fixed listen address (benchmarks, tests),
    /// below Linux's default ephemeral range (32768-60999): a port in that range can be taken
    /// by any outgoing connection's local end, even while its listener restarts.
    public static func randomFixedPort() -> Int { Int.random(in: 20000..<32000) }
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

import Config
#if canImport(Glibc)
import Glibc
#endif
import Sockets

extension HostPort {
    /// Parses `HOST:PORT` as a transport error (see `Config.HostPort(parsing:)`).
    static func parse(_ text: String) throws(TransportError) -> HostPort {
        do { return try HostPort(parsing: text) } catch { throw .badAddress(text, reason: error.reason) }
    }
}

extension HostPort {
    /// The host as the resolver takes it (`*`: every interface).
    var socketHost: String { host == "*" ? "0.0.0.0" : host }

    /// The numeric host and port of a socket address, for logs and for ring members.
    init(_ address: SocketAddress) {
        let numeric = address.numeric
        self.init(host: numeric.host, port: numeric.port)
    }
}

extension SocketOptions {
    /// The numeric address of an accepted peer's socket address.
    static func describe(_ storage: sockaddr_storage) -> HostPort {
        HostPort(SocketAddress(family: Int32(storage.ss_family), storage: storage, length: socklen_t(MemoryLayout<sockaddr_storage>.size)))
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

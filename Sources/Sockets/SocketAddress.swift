#if canImport(Glibc)
import Glibc
#endif

/// A resolved socket address (IPv4 or IPv6), as the socket calls take it.
public struct SocketAddress: @unchecked Sendable {
    public var family: Int32
    public var storage: sockaddr_storage
    public var length: socklen_t

    public init(family: Int32, storage: sockaddr_storage, length: socklen_t) {
        self.family = family; self.storage = storage; self.length = length
    }

    /// Resolves `host:port` to socket addresses (numeric or DNS), in the resolver's order;
    /// `passive` for listening. The one place Herd resolves host names.
    public static func resolve(host: String, port: Int, passive: Bool) throws(SocketError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            let reason = gai_strerror(rc).map { String(cString: $0) } ?? "error \(rc)"
            throw .resolve(host: host, reason: reason)
        }
        defer { freeaddrinfo(first) }
        var out: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            if let sa = ai.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(ai.pointee.ai_addrlen)))
                }
                out.append(SocketAddress(family: ai.pointee.ai_family, storage: storage, length: ai.pointee.ai_addrlen))
            }
            cursor = ai.pointee.ai_next
        }
        return out
    }

    /// The address a socket is bound to (`getsockname`), nil when the call fails.
    public static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return SocketAddress(family: Int32(storage.ss_family), storage: storage, length: length)
    }

    /// The numeric host and port, for logs and for ring members (`?`, 0 when the system
    /// cannot say); IPv4-mapped IPv6 addresses read as plain IPv4.
    public var numeric: (host: String, port: Int) {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var serv = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count),
                            &serv, socklen_t(serv.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard rc == 0 else { return ("?", 0) }
        let h = SocketOptions.string(host)
        let p = Int(SocketOptions.string(serv)) ?? 0
        return (h.hasPrefix("::ffff:") ? String(h.dropFirst(7)) : h, p)
    }
}

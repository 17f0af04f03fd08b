#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the Glibc socket calls: listen, connect and the blocking I/O of
/// the dashboard's HTTP server. Every socket they make is close-on-exec.
public enum Socket {
    /// `host:port` as shown in messages (IPv6 hosts in brackets).
    static func shown(_ host: String, _ port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A listening TCP socket bound to `host:port` (port 0: any free port) and the bound port.
    /// Tries the resolved addresses in the resolver's order, IPv4 first when `preferIPv4`
    /// (so that "localhost" means 127.0.0.1 whatever the resolver's order).
    public static func listen(host: String, port: Int, backlog: Int32, preferIPv4: Bool = false) throws(SocketError) -> (fd: Int32, port: Int) {
        var candidates = try SocketAddress.resolve(host: host, port: port, passive: true)
        if preferIPv4 { candidates = candidates.filter { $0.family == AF_INET } + candidates.filter { $0.family != AF_INET } }
        var failure = SocketError.socket(call: "bind", address: shown(host, port), reason: "no address")
        for candidate in candidates {
            func fail(_ call: String) { failure = .socket(call: call, address: shown(host, port), reason: SocketError.errnoText()) }
            let fd = socket(candidate.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { fail("socket"); continue }
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var storage = candidate.storage
            let bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, candidate.length) }
            }
            guard bound == 0 else { fail("bind"); close(fd); continue }
            guard Glibc.listen(fd, backlog) == 0 else { fail("listen"); close(fd); continue }
            guard let local = SocketAddress.local(of: fd) else { fail("getsockname"); close(fd); continue }
            return (fd, local.numeric.port)
        }
        throw failure
    }

    /// A TCP connection to `host:port` made within `timeout` seconds: the connected socket
    /// (blocking) and the address it reached. Tries each resolved address in turn.
    public static func connect(host: String, port: Int, timeout: Double) throws(SocketError) -> (fd: Int32, address: SocketAddress) {
        var failure = SocketError.socket(call: "connect", address: shown(host, port), reason: "no address")
        for candidate in try SocketAddress.resolve(host: host, port: port, passive: false) {
            func fail(_ call: String, _ reason: String = SocketError.errnoText()) {
                failure = .socket(call: call, address: shown(host, port), reason: reason)
            }
            let fd = socket(candidate.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { fail("socket"); continue }
            // Non-blocking connect so the timeout holds, then back to blocking.
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var storage = candidate.storage
            let rc = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, candidate.length) }
            }
            if rc != 0 && errno != EINPROGRESS { fail("connect"); close(fd); continue }
            if rc != 0 {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&pfd, 1, Int32(max(1, timeout * 1000)))
                if ready <= 0 { fail("connect", ready == 0 ? "timed out after \(timeout) s" : SocketError.errnoText()); close(fd); continue }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err != 0 { fail("connect", SocketError.errnoText(err)); close(fd); continue }
            }
            _ = fcntl(fd, F_SETFL, flags)
            return (fd, candidate)
        }
        throw failure
    }

    /// Whether something accepts TCP connections on `host:port` (within `timeout` seconds).
    public static func isListening(host: String, port: Int, timeout: Double = 1) -> Bool {
        guard let (fd, _) = try? connect(host: host, port: port, timeout: timeout) else { return false }
        close(fd)
        return true
    }

    /// Sets a send timeout so a client that stops reading can't block a thread forever, and TCP_NODELAY.
    public static func setSendTimeout(_ fd: Int32, seconds: Double) {
        SocketOptions.setSendTimeout(fd, seconds: seconds)
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Waits up to `milliseconds` for `fd` to become readable (or closed / in error).
    public static func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let n = poll(&pfd, 1, milliseconds)
        return n > 0
    }

    /// Sends all of `bytes`; false when the peer went away or the send timed out.
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8], flags: Int32 = 0) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return send(fd, base + sent, buffer.count - sent, Int32(MSG_NOSIGNAL) | flags)
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Reads what is available (up to `capacity` bytes); nil at end of stream or on error.
    public static func receive(_ fd: Int32, capacity: Int) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: capacity)
        while true {
            let n = chunk.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return recv(fd, base, buffer.count, 0)
            }
            if n < 0 && (errno == EINTR) { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return [] }
            guard n > 0 else { return nil }
            return Array(chunk[0..<n])
        }
    }

    /// Seconds on the monotonic clock (for deadlines).
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

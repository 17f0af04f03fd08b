import Config
#if canImport(Glibc)
import Glibc
#endif

/// Socket set-up shared by connecting and accepted sockets.
enum SocketOptions {
    /// Send/receive buffer size asked of the kernel: large so a ring chunk is in flight while the next is summed.
    static let bufferBytes: Int32 = 4 << 20

    /// The kernel's ceilings on SO_SNDBUF / SO_RCVBUF requests (`net.core.wmem_max`, `rmem_max`).
    static let sendCeiling = kernelLimit("/proc/sys/net/core/wmem_max")
    static let receiveCeiling = kernelLimit("/proc/sys/net/core/rmem_max")

    static func configure(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        // Asking for a size turns the kernel's buffer autotuning off for the socket, and the kernel
        // silently caps the request at its ceiling (212992 bytes on most distributions, far below the
        // 4-6 MB autotuning reaches): ask only when the ceiling grants the whole size.
        var size = bufferBytes
        if sendCeiling.map({ $0 >= Int(bufferBytes) }) ?? true {
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if receiveCeiling.map({ $0 >= Int(bufferBytes) }) ?? true {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        useLossBasedCongestionControl(fd)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Congestion control asked for each socket, in order of preference (the first the kernel
    /// grants is used; an unprivileged process may only pick those in
    /// `net.ipv4.tcp_allowed_congestion_control`, which always includes reno).
    static let preferredCongestionControl = ["cubic", "reno"]

    /// Moves the socket off BBR (the default on some distributions and VMs). Cluster traffic is
    /// bursts (an all-reduce of tens of MB) after seconds of idle compute, and BBR enters its
    /// PROBE_RTT mode (4 packets in flight for at least 200 ms) whenever its minimum RTT sample
    /// is 10 s old: on a home LAN that held the first megabytes of an all-reduce back by 130-190 ms
    /// in a third of the steps. Loss-based algorithms have no such mode. Best effort: a kernel
    /// that refuses both keeps its default.
    static func useLossBasedCongestionControl(_ fd: Int32) {
        for name in preferredCongestionControl {
            let ok = name.withCString { setsockopt(fd, Int32(IPPROTO_TCP), TCP_CONGESTION, $0, socklen_t(strlen($0))) == 0 }
            if ok { return }
        }
    }

    /// The socket's congestion control algorithm (empty when the kernel does not say).
    static func congestionControl(of fd: Int32) -> String {
        var name = [CChar](repeating: 0, count: 32)
        var length = socklen_t(name.count)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_CONGESTION, &name, &length) == 0 else { return "" }
        return string(name)
    }

    /// The text of a NUL-terminated C character buffer.
    static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The integer in a one-line /proc file, nil when it cannot be read.
    static func kernelLimit(_ path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = close(fd) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return Int(String(decoding: bytes[0..<n].filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }, as: UTF8.self))
    }

    /// Blocking sends give up after `seconds` (a peer that stops reading cannot hang us).
    static func setSendTimeout(_ fd: Int32, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The numeric address of a socket address, for logs and for ring members.
    static func describe(_ storage: sockaddr_storage) -> HostPort {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var serv = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count),
                            &serv, socklen_t(serv.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard rc == 0 else { return HostPort(host: "?", port: 0) }
        let h = string(host)
        let p = Int(string(serv)) ?? 0
        // IPv4-mapped IPv6 addresses read better as plain IPv4.
        return HostPort(host: h.hasPrefix("::ffff:") ? String(h.dropFirst(7)) : h, port: p)
    }

    /// Resolves `address` to socket addresses (numeric or DNS), passive for listening.
    static func resolve(_ address: HostPort, passive: Bool) throws(TransportError) -> [(family: Int32, storage: sockaddr_storage, length: socklen_t)] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        if passive { hints.ai_flags = AI_PASSIVE }
        var result: UnsafeMutablePointer<addrinfo>?
        let host = address.host == "*" ? "0.0.0.0" : address.host
        let rc = getaddrinfo(host, String(address.port), &hints, &result)
        guard rc == 0, let first = result else {
            let reason = gai_strerror(rc).map { String(cString: $0) } ?? "error \(rc)"
            throw .resolve(host: address.host, reason: reason)
        }
        defer { freeaddrinfo(first) }
        var out: [(Int32, sockaddr_storage, socklen_t)] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            if let sa = ai.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(ai.pointee.ai_addrlen)))
                }
                out.append((ai.pointee.ai_family, storage, ai.pointee.ai_addrlen))
            }
            cursor = ai.pointee.ai_next
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Socket set-up shared by connecting and accepted sockets.
public enum SocketOptions {
    /// Send/receive buffer size asked of the kernel once the peer is trusted (`enlargeBuffers`):
    /// large so a ring chunk is in flight while the next is summed.
    public static let bufferBytes: Int32 = 4 << 20

    /// The kernel's ceilings on SO_SNDBUF / SO_RCVBUF requests (`net.core.wmem_max`, `rmem_max`).
    public static let sendCeiling = kernelLimit("/proc/sys/net/core/wmem_max")
    public static let receiveCeiling = kernelLimit("/proc/sys/net/core/rmem_max")

    /// Options every connected socket gets from the start. Its buffers stay the kernel's small
    /// defaults: a stranger's connection must not hold megabytes of kernel memory.
    public static func configure(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        useLossBasedCongestionControl(fd)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Gives a socket `bufferBytes` of send and receive buffer: call it only once the peer has
    /// proved who it is.
    ///
    /// Asking for a size turns the kernel's buffer autotuning off for the socket, and the kernel
    /// silently caps the request at its ceiling (212992 bytes on most distributions, far below the
    /// 4-6 MB autotuning reaches): ask only when the ceiling grants the whole size. (The window
    /// scale was fixed at connect from the kernel's maximum, `tcp_rmem`, so a later size is usable.)
    public static func enlargeBuffers(_ fd: Int32) {
        var size = bufferBytes
        if sendCeiling.map({ $0 >= Int(bufferBytes) }) ?? true {
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if receiveCeiling.map({ $0 >= Int(bufferBytes) }) ?? true {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Congestion control asked for each socket, in order of preference (the first the kernel
    /// grants is used; an unprivileged process may only pick those in
    /// `net.ipv4.tcp_allowed_congestion_control`, which always includes reno).
    public static let preferredCongestionControl = ["cubic", "reno"]

    /// Moves the socket off BBR (the default on some distributions and VMs). Cluster traffic is
    /// bursts (an all-reduce of tens of MB) after seconds of idle compute, and BBR enters its
    /// PROBE_RTT mode (4 packets in flight for at least 200 ms) whenever its minimum RTT sample
    /// is 10 s old: on a home LAN that held the first megabytes of an all-reduce back by 130-190 ms
    /// in a third of the steps. Loss-based algorithms have no such mode. Best effort: a kernel
    /// that refuses both keeps its default.
    public static func useLossBasedCongestionControl(_ fd: Int32) {
        for name in preferredCongestionControl {
            let ok = name.withCString { setsockopt(fd, Int32(IPPROTO_TCP), TCP_CONGESTION, $0, socklen_t(strlen($0))) == 0 }
            if ok { return }
        }
    }

    /// The socket's congestion control algorithm (empty when the kernel does not say).
    public static func congestionControl(of fd: Int32) -> String {
        var name = [CChar](repeating: 0, count: 32)
        var length = socklen_t(name.count)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_CONGESTION, &name, &length) == 0 else { return "" }
        return string(name)
    }

    /// The text of a NUL-terminated C character buffer.
    public static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The integer in a one-line /proc file, nil when it cannot be read.
    public static func kernelLimit(_ path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = close(fd) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return Int(String(decoding: bytes[0..<n].filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }, as: UTF8.self))
    }

    /// Blocking sends give up after `seconds` (a peer that stops reading cannot hang us).
    public static func setSendTimeout(_ fd: Int32, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}

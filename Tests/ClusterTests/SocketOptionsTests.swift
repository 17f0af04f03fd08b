import Config
import Testing
@testable import Cluster
import Sockets
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SocketOptionsTests {
    @Test func kernelLimitsAreReadFromProc() {
        #expect((SocketOptions.kernelLimit("/proc/sys/net/core/rmem_max") ?? 0) > 0)
        #expect(SocketOptions.kernelLimit("/proc/sys/net/core/no-such-setting") == nil)
    }

    /// SO_RCVBUF and SO_SNDBUF of a socket (the kernel reports twice what was asked).
    static func bufferSizes(_ c: Connection) -> (receive: Int32, send: Int32) {
        var receive: Int32 = 0, send: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &receive, &length)
        length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &send, &length)
        return (receive, send)
    }

    @Test func aStrangersConnectionKeepsTheKernelsSmallBuffersUntilTheHandshake() throws {
        let listener = try Listener(on: HostPort(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let client = try Connection.connect(to: HostPort(host: "127.0.0.1", port: listener.address.port), timeout: 5)
        defer { client.close() }
        let server = try #require(listener.accept(timeout: 5))
        defer { server.close() }
        // The kernel sizes a new socket's send buffer from what it remembers of the peer (a
        // congestion window grown by earlier connections takes it up to tcp_wmem's ceiling, which
        // can equal `bufferBytes`): a plain socket connected the same way is the yardstick. Asking
        // for `bufferBytes` would show as twice that (the kernel reports double), above it.
        let plain = try Socket.connect(host: "127.0.0.1", port: listener.address.port, timeout: 5)
        defer { Glibc.close(plain.fd) }
        var plainSend: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(plain.fd, SOL_SOCKET, SO_SNDBUF, &plainSend, &length)
        for end in [client, server] {
            let (receive, send) = Self.bufferSizes(end)
            #expect(receive > 0 && receive < SocketOptions.bufferBytes, "\(end.peer): \(receive) bytes of receive buffer before the handshake")
            #expect(send > 0 && send <= plainSend && send < 2 * SocketOptions.bufferBytes,
                    "\(end.peer): \(send) bytes of send buffer before the handshake (a plain socket: \(plainSend))")
        }
    }

    @Test func anAuthenticatedConnectionGetsTheFullBufferWhenTheKernelGrantsItElseKeepsAutotuning() throws {
        let pair = try AuthenticatedPair()
        defer { pair.close() }
        for end in [pair.client, pair.server] {
            let (receive, send) = Self.bufferSizes(end)
            if let ceiling = SocketOptions.receiveCeiling, ceiling >= Int(SocketOptions.bufferBytes) {
                #expect(receive >= SocketOptions.bufferBytes, "asked for \(SocketOptions.bufferBytes) bytes, got \(receive)")
            } else {
                // Not asked: the kernel's default, which autotuning grows (asking would have capped it for good).
                #expect(receive > 0 && receive < SocketOptions.bufferBytes)
            }
            if let ceiling = SocketOptions.sendCeiling, ceiling >= Int(SocketOptions.bufferBytes) {
                #expect(send >= SocketOptions.bufferBytes, "asked for \(SocketOptions.bufferBytes) bytes, got \(send)")
            }
        }
    }

    @Test func bothEndsOfALinkUseALossBasedCongestionControlNotBBR() throws {
        let listener = try Listener(on: HostPort(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let client = try Connection.connect(to: HostPort(host: "127.0.0.1", port: listener.address.port), timeout: 5)
        defer { client.close() }
        let server = try #require(listener.accept(timeout: 5))
        defer { server.close() }
        // Linux lets every process pick reno, so one of the two is always granted here.
        for end in [client, server] {
            let name = SocketOptions.congestionControl(of: end.fd)
            #expect(SocketOptions.preferredCongestionControl.contains(name), "\(end.peer) uses \"\(name)\"")
        }
    }
}

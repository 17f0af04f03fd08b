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

    @Test func socketsGetTheFullBufferWhenTheKernelGrantsItElseKeepAutotuning() throws {
        let listener = try Listener(on: HostPort(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let client = try Connection.connect(to: HostPort(host: "127.0.0.1", port: listener.address.port), timeout: 5)
        defer { client.close() }
        var size: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &size, &length) == 0)
        if let ceiling = SocketOptions.receiveCeiling, ceiling >= Int(SocketOptions.bufferBytes) {
            #expect(size >= SocketOptions.bufferBytes, "asked for \(SocketOptions.bufferBytes) bytes, got \(size)")
        } else {
            // Not asked: the kernel's default, which autotuning grows (asking would have capped it for good).
            #expect(size > 0 && size < SocketOptions.bufferBytes)
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

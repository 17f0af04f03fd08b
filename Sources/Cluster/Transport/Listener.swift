import Config
#if canImport(Glibc)
import Glibc
#endif
import Sockets
import Synchronization

/// A listening TCP socket.
public final class Listener: Sendable {
    private let fd: Int32
    /// The bound address (the real port when 0 was asked).
    public let address: HostPort
    private let isClosed = Atomic<Bool>(false)

    /// Binds and listens on `address` (port 0: any free port).
    public init(on address: HostPort, backlog: Int32 = 64) throws(TransportError) {
        do {
            let (fd, port) = try Socket.listen(host: address.socketHost, port: address.port, backlog: backlog)
            self.fd = fd
            self.address = HostPort(host: address.host, port: port)
        } catch {
            throw TransportError(error, address: address, listening: true)
        }
    }

    deinit { Glibc.close(fd) }

    /// Stops accepting; a thread blocked in `accept` returns nil within 250 ms.
    public func close() {
        if !isClosed.exchange(true, ordering: .acquiringAndReleasing) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    public var closed: Bool { isClosed.load(ordering: .acquiring) }

    /// The next incoming connection, or nil after `timeout` seconds or once closed.
    public func accept(timeout: Double, maxPayload: Int = Frame.defaultMaxPayload) -> Connection? {
        let deadline = Deadline(seconds: timeout)
        while !closed && deadline.remaining > 0 {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, Int32(min(250, max(1, deadline.remaining * 1000))))
            if rc <= 0 { continue }
            var storage = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &len) }
            }
            if client < 0 { continue }
            return Connection(fd: client, remote: SocketOptions.describe(storage), maxPayload: maxPayload)
        }
        return nil
    }
}

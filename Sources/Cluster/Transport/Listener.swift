import Config
#if canImport(Glibc)
import Glibc
#endif
import Sockets
import Synchronization

/// A listening TCP socket.
///
/// It keeps one spare descriptor (on /dev/null): when `accept` fails because the process
/// has no descriptor left, the spare is closed, the waiting connection accepted and closed
/// at once, and the spare reopened, so a flood of connections is turned away instead of
/// spinning in the backlog, and `acceptFailure` says why.
public final class Listener: Sendable {
    private let fd: Int32
    private let spare = Atomic<Int32>(-1)
    /// Why the last accept failed ("out of file descriptors ..."), and how often; read and
    /// cleared by the accept loop for its log.
    let acceptFailures = LockedBox<(reason: String, count: Int)?>(nil)
    /// The bound address (the real port when 0 was asked).
    public let address: HostPort
    private let isClosed = Atomic<Bool>(false)

    /// Binds and listens on `address` (port 0: any free port).
    public init(on address: HostPort, backlog: Int32 = 64) throws(TransportError) {
        do {
            let (fd, port) = try Socket.listen(host: address.socketHost, port: address.port, backlog: backlog)
            self.fd = fd
            self.address = HostPort(host: address.host, port: port)
            spare.store(open("/dev/null", O_RDONLY | O_CLOEXEC), ordering: .relaxed)
        } catch {
            throw TransportError(error, address: address, listening: true)
        }
    }

    deinit {
        Glibc.close(fd)
        let s = spare.load(ordering: .relaxed)
        if s >= 0 { Glibc.close(s) }
    }

    /// Stops accepting; a thread blocked in `accept` returns nil within 250 ms.
    public func close() {
        if !isClosed.exchange(true, ordering: .acquiringAndReleasing) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    public var closed: Bool { isClosed.load(ordering: .acquiring) }

    /// The next incoming connection, or nil after `timeout` seconds or once closed. The
    /// connection accepts only handshake-sized frames until `Handshake` raises its limit
    /// to `maxPayload`.
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
            if client < 0 {
                let e = errno
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM { shedOne(e) }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            if let left = Self.descriptorsLeft(below: client) {
                // Descriptors come lowest-free first, so every one below `client` is taken:
                // the last few stay for the run's own files and its connected peers.
                Glibc.close(client)
                acceptFailures.update { f in f = ("only \(left.free) of \(left.limit) file descriptors left, kept for the run's own files "
                                                  + "and connected peers (raise `ulimit -n` if this is not an attack)", (f?.count ?? 0) + 1) }
                continue
            }
            return Connection(fd: client, remote: SocketOptions.describe(storage), maxPayload: maxPayload)
        }
        return nil
    }

    /// When a connection got descriptor `fd` and at most `reserve` descriptors remain under the
    /// process's limit (`RLIMIT_NOFILE`): how many, and the limit. Nil otherwise.
    static func descriptorsLeft(below fd: Int32) -> (free: Int, limit: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else { return nil }
        let cap = Int(limit.rlim_cur)
        let reserve = max(16, cap / 8)
        let free = cap - Int(fd) - 1
        return free < reserve ? (free, cap) : nil
    }

    /// Out of descriptors or kernel memory: turn the waiting connection away with the spare
    /// descriptor (so the loop does not spin on it) and record why.
    private func shedOne(_ e: Int32) {
        let reason: String
        switch e {
        case EMFILE:
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            reason = "out of file descriptors (this process may open \(limit.rlim_cur); raise `ulimit -n` if this is not an attack)"
        case ENFILE: reason = "the system is out of file descriptors"
        default: reason = "the kernel is out of memory for sockets (\(TransportError.errnoText(e)))"
        }
        acceptFailures.update { f in f = (reason, (f?.count ?? 0) + 1) }
        let s = spare.exchange(-1, ordering: .acquiringAndReleasing)
        if s >= 0 { Glibc.close(s) }
        let turnedAway = Glibc.accept(fd, nil, nil)
        if turnedAway >= 0 { Glibc.close(turnedAway) } else { usleep(50_000) }
        spare.store(open("/dev/null", O_RDONLY | O_CLOEXEC), ordering: .relaxed)
    }
}

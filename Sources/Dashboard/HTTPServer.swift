import Dispatch
import Foundation
import Glibc
import Sockets
import Locking

/// A minimal HTTP/1.1 server on Glibc sockets, for the dashboard.
///
/// One thread accepts; each connection gets its own thread, at most
/// `Limits.maxConnections` at once (more are answered 503 and closed). Request
/// heads are bounded in size, header count and time, so a slow or garbage
/// client costs one thread for at most `headTimeout` and never blocks others.
/// Only `GET`/`HEAD` make sense to the handler; the server reads no request
/// bodies (a request announcing one is answered, then the connection closes).
/// Responses carry `Content-Length`; connections are kept alive when the
/// client asks (HTTP/1.1 default), up to `maxRequestsPerConnection`.
///
/// The server runs from `init` until `stop()` or until the last reference to
/// it goes away.
public final class HTTPServer: Sendable {
    /// Bounds on what one client may cost.
    public struct Limits: Sendable, Equatable {
        /// Request line plus headers, in bytes (larger: 431).
        public var maxHeadBytes = 8192
        /// Request line alone, in bytes (longer: 414).
        public var maxRequestLineBytes = 4096
        /// Header lines per request (more: 431).
        public var maxHeaderCount = 64
        /// Seconds from a request's first byte to its complete head (slower: 408, closed).
        public var headTimeout: Double = 10
        /// Seconds a kept-alive connection may sit idle before it is closed.
        public var idleTimeout: Double = 5
        /// Seconds a response may take to send before the connection is dropped.
        public var sendTimeout: Double = 10
        /// Simultaneous connections (more: 503).
        public var maxConnections = 32
        /// Requests served on one connection before it is closed.
        public var maxRequestsPerConnection = 100

        public init() {}
    }

    /// Produces the response to a request; called on connection threads, concurrently.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    /// The host as given.
    public let host: String
    /// The bound port (the actual one when 0 was asked for).
    public let port: Int
    private let core: ServerCore

    /// Binds `host:port`, listens and starts serving.
    /// - Parameters:
    ///   - host: IPv4/IPv6 address or host name; `0.0.0.0` means every interface.
    ///   - port: TCP port, or 0 for any free port (see `port`).
    /// - Throws: `HTTPServerError` when the host can't be resolved or the port can't be bound.
    public init(host: String, port: Int, limits: Limits = Limits(), handler: @escaping Handler) throws(HTTPServerError) {
        guard (0...65535).contains(port) else {
            throw .socket(call: "bind", address: "\(host):\(port)", reason: "port out of range")
        }
        let (fd, bound): (Int32, Int)
        do { (fd, bound) = try Socket.listen(host: host, port: port, backlog: 64, preferIPv4: true) } catch { throw HTTPServerError(error) }
        self.host = host
        self.port = bound
        core = ServerCore(listenFD: fd, limits: limits, handler: handler)
        core.start()
    }

    /// `http://HOST:PORT/`
    public var url: String { host.contains(":") ? "http://[\(host)]:\(port)/" : "http://\(host):\(port)/" }

    /// Stops accepting, closes open connections and returns once the accepting
    /// thread has ended. Idempotent.
    public func stop() { core.stop() }

    /// Connections open right now.
    public var openConnections: Int { core.openConnections }

    deinit { core.stop() }
}

/// The running part of the server, shared by its threads (the `HTTPServer`
/// handle owns it; threads keep it alive while they run).
final class ServerCore: Sendable {
    private struct State {
        var stopping = false
        var stopped = false
        /// Open connection sockets, so `stop()` can wake their threads.
        var connections: Set<Int32> = []
    }

    private let listenFD: Int32
    private let limits: HTTPServer.Limits
    private let handler: HTTPServer.Handler
    private let state = Locked(State())
    private let acceptEnded = DispatchSemaphore(value: 0)

    init(listenFD: Int32, limits: HTTPServer.Limits, handler: @escaping HTTPServer.Handler) {
        self.listenFD = listenFD
        self.limits = limits
        self.handler = handler
    }

    var openConnections: Int { state.withLock { $0.connections.count } }

    func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "http-accept"
        thread.start()
    }

    func stop() {
        let first = state.withLock { s -> Bool in
            guard !s.stopping else { return false }
            s.stopping = true
            for fd in s.connections { shutdown(fd, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        acceptEnded.wait()
        // Connection threads see their sockets shut down and end within one poll interval.
        let deadline = Socket.monotonicSeconds() + 2
        while openConnections > 0, Socket.monotonicSeconds() < deadline { usleep(5_000) }
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func acceptLoop() {
        defer {
            close(listenFD)
            acceptEnded.signal()
        }
        while !isStopping {
            guard Socket.waitReadable(listenFD, milliseconds: 100) else { continue }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 { continue }  // EINTR, ECONNABORTED, EMFILE: try again next round
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            Socket.setSendTimeout(fd, seconds: limits.sendTimeout)
            let admitted = state.withLock { s -> Bool in
                guard !s.stopping, s.connections.count < limits.maxConnections else { return false }
                s.connections.insert(fd)
                return true
            }
            guard admitted else {
                let busy = HTTPResponse.error(503, "too many connections; try again shortly")
                _ = Socket.sendAll(fd, busy.serialized(keepAlive: false), flags: Int32(MSG_DONTWAIT))
                close(fd)
                continue
            }
            let thread = Thread { [self] in serve(fd) }
            thread.name = "http-connection"
            thread.start()
        }
    }

    /// Serves requests on one connection until it closes, misbehaves, times out or the server stops.
    private func serve(_ fd: Int32) {
        defer {
            state.withLock { _ = $0.connections.remove(fd) }
            close(fd)
        }
        var buffer: [UInt8] = []
        var served = 0
        // Waiting for a request: `idleTimeout` for its first byte (on a fresh
        // connection the head timeout), then `headTimeout` from that byte.
        var deadline = Socket.monotonicSeconds() + limits.headTimeout
        while !isStopping {
            switch HTTPRequestParser.parse(buffer, limits: limits) {
            case .incomplete:
                let remaining = deadline - Socket.monotonicSeconds()
                if remaining <= 0 {
                    if !buffer.isEmpty {
                        _ = Socket.sendAll(fd, HTTPResponse.error(408, "the request head took too long").serialized(keepAlive: false))
                    }
                    return
                }
                guard Socket.waitReadable(fd, milliseconds: Int32(min(remaining, 0.25) * 1000) + 1) else { continue }
                guard let chunk = Socket.receive(fd, capacity: 4096) else { return }
                if buffer.isEmpty && !chunk.isEmpty {
                    deadline = Socket.monotonicSeconds() + limits.headTimeout
                }
                buffer += chunk
            case .invalid(let status, let reason):
                _ = Socket.sendAll(fd, HTTPResponse.error(status, reason).serialized(keepAlive: false))
                return
            case .complete(let request, let consumed):
                buffer.removeFirst(consumed)
                served += 1
                let hasBody = (Int(request.header("Content-Length") ?? "0") ?? 1) > 0
                let keepAlive = request.wantsKeepAlive && !hasBody && served < limits.maxRequestsPerConnection
                let response = handler(request)
                let bytes = response.serialized(keepAlive: keepAlive, includeBody: request.method != "HEAD")
                guard Socket.sendAll(fd, bytes), keepAlive else { return }
                deadline = Socket.monotonicSeconds() + limits.idleTimeout
            }
        }
    }
}

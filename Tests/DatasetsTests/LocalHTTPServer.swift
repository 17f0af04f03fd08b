import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scripted HTTP/1.1 server on 127.0.0.1 for the download tests: each request is
/// answered by `handler`, which may also cut the body short or stall. Requests are
/// recorded (method line and headers) for the tests to inspect. Every wait is bounded.
final class LocalHTTPServer: @unchecked Sendable {
    enum Reply: Sendable {
        /// A complete response.
        case send(status: Int, headers: [String: String], body: [UInt8])
        /// Headers announcing all of `body`, then only its first `after` bytes, then close.
        case cut(status: Int, headers: [String: String], body: [UInt8], after: Int)
        /// Read the request, send nothing for `seconds`, then close.
        case stall(seconds: Double)
    }

    struct Request: Sendable {
        var path: String
        var headers: [String: String]
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var log: [Request] = []
    private var stopped = false
    private let handler: @Sendable (Request) -> Reply
    private let acceptThreadDone = DispatchSemaphore(value: 0)

    var url: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { lock.withLock { log } }

    init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Stops accepting and waits (at most 2 s) for the accept thread.
    func stop() {
        lock.withLock { stopped = true }
        _ = acceptThreadDone.wait(timeout: .now() + 2)
        close(listener)
    }

    private func acceptLoop() {
        defer { acceptThreadDone.signal() }
        while !lock.withLock({ stopped }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // One request per connection: read the head (bounded), answer, close.
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 16384 {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return }
            head += buffer[0..<n]
            if head.count >= 4, String(decoding: head, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let target = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = Request(path: target, headers: headers)
        lock.withLock { log.append(request) }
        switch handler(request) {
        case .send(let status, let extra, let body):
            send(fd, status: status, headers: extra, body: body, count: body.count)
        case .cut(let status, let extra, let body, let after):
            send(fd, status: status, headers: extra, body: body, count: min(after, body.count))
        case .stall(let seconds):
            Thread.sleep(forTimeInterval: seconds)
        }
    }

    private func send(_ fd: Int32, status: Int, headers: [String: String], body: [UInt8], count: Int) {
        var text = "HTTP/1.1 \(status) \(status == 200 ? "OK" : status == 206 ? "Partial Content" : "Status")\r\n"
        text += "Content-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        let bytes = Array(text.utf8) + body[0..<count]
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Serves `files` (path -> bytes), honouring `Range: bytes=N-` with a 206.
    static func rangeReply(_ files: [String: [UInt8]], _ request: Request) -> Reply {
        guard let body = files[request.path] else { return .send(status: 404, headers: [:], body: Array("not found".utf8)) }
        if let range = request.headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
           let start = Int(range.dropFirst(6).dropLast()), start < body.count {
            return .send(status: 206, headers: ["Content-Range": "bytes \(start)-\(body.count - 1)/\(body.count)"],
                         body: Array(body[start...]))
        }
        return .send(status: 200, headers: [:], body: body)
    }
}

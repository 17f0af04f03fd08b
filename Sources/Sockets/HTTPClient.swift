#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client: one GET with `Connection: close` (the demo reads the
/// coordinator's dashboard status with it).
public enum HTTPClient {
    /// The body of a 200 answer to `GET path` from `host:port`, nil when the server does not
    /// answer within `timeout` seconds per call, answers another status, or sends more than
    /// `maxBytes`.
    public static func get(host: String, port: Int, path: String, timeout: Double = 2, maxBytes: Int = 16 << 20) -> [UInt8]? {
        guard let (fd, _) = try? Socket.connect(host: host, port: port, timeout: timeout) else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        SocketOptions.setSendTimeout(fd, seconds: timeout)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        guard Socket.sendAll(fd, request) else { return nil }
        var response: [UInt8] = []
        while response.count < maxBytes, let chunk = Socket.receive(fd, capacity: 65536), !chunk.isEmpty {
            response += chunk
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard response.starts(with: Array("HTTP/1.1 200".utf8)),
              let end = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == separator })
        else { return nil }
        return Array(response[(end + 4)...])
    }
}

import Glibc
import Sockets
import Testing
@testable import Dashboard

/// The shared socket layer (`Sockets`) against the dashboard's server on 127.0.0.1.
@Suite struct SocketsTests {
    @Test func httpClientGetReturnsTheBodyOfA200AnswerAndNilForOthers() throws {
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { request in
            request.path == "/hello" ? .text("hi there\n") : .error(404, "no such page")
        }
        defer { server.stop() }
        #expect(HTTPClient.get(host: "127.0.0.1", port: server.port, path: "/hello").map { String(decoding: $0, as: UTF8.self) } == "hi there\n")
        #expect(HTTPClient.get(host: "127.0.0.1", port: server.port, path: "/missing") == nil)
    }

    @Test func aPortInUseIsRefusedNamingTheAddressAndTheCall() throws {
        let first = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 1)
        defer { close(first.fd) }
        #expect(Socket.isListening(host: "127.0.0.1", port: first.port))
        #expect(throws: SocketError.socket(call: "bind", address: "127.0.0.1:\(first.port)",
                                           reason: SocketError.errnoText(EADDRINUSE))) {
            _ = try Socket.listen(host: "127.0.0.1", port: first.port, backlog: 1)
        }
    }
}

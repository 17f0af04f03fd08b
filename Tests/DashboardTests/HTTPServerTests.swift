import Foundation
import Glibc
import Synchronization
import Testing
@testable import Dashboard

/// The server over real sockets on 127.0.0.1 with an ephemeral port.
@Suite struct HTTPServerTests {
    private func startDashboard(status: DashboardStatus = sampleStatus(steps: 100), valDirectory: String? = nil,
                                limits: HTTPServer.Limits = HTTPServer.Limits()) throws -> HTTPServer {
        let dashboard = Dashboard(status: status, valDirectory: valDirectory)
        let server = try #require(try dashboard.start(listen: "127.0.0.1:0", limits: limits))
        #expect(server.port > 0)
        return server
    }

    @Test func statusJSONOverASocket() throws {
        let server = try startDashboard()
        defer { server.stop() }
        let response = try #require(try TestClient.get("/api/status", port: server.port))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["content-length"] == "\(response.body.count)")
        let status = try Dashboard.decoder.decode(DashboardStatus.self, from: Data(response.body))
        #expect(status.globalStep == 100)
        #expect(status.workers.count == 3)
    }

    @Test func pageHealthAndHead() throws {
        let server = try startDashboard()
        defer { server.stop() }
        let page = try #require(try TestClient.get("/", port: server.port))
        #expect(page.status == 200)
        #expect(page.text.contains("<svg class=\"chart\""))
        #expect(try TestClient.get("/health", port: server.port)?.text == "ok\n")
        let head = try #require(try TestClient.get("/", port: server.port, method: "HEAD"))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(Int(head.headers["content-length"] ?? "") == page.body.count)
    }

    @Test func unknownPathsAre404AndOtherMethods405() throws {
        let server = try startDashboard()
        defer { server.stop() }
        #expect(try TestClient.get("/nothing-here", port: server.port)?.status == 404)
        #expect(try TestClient.get("/", port: server.port, method: "DELETE")?.status == 405)
    }

    @Test func garbageRequestLinesAre400AndClosed() throws {
        let server = try startDashboard()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        client.send("HELLO THERE\r\n\r\n")
        #expect(client.readResponse()?.status == 400)
        #expect(client.isClosedByServer())
        #expect(try TestClient.raw("\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}", port: server.port)?.status == 400)
    }

    @Test func pathTraversalIsRefused() throws {
        let dir = try TemporaryDirectory("traversal")
        defer { dir.cleanup() }
        try dir.write("val/epoch_001/A.png", fakePNG("ok"))
        try dir.write("secret.png", fakePNG("secret"))
        let server = try startDashboard(valDirectory: dir.path + "/val")
        defer { server.stop() }
        #expect(try TestClient.get("/val/epoch_001/A.png", port: server.port)?.body == fakePNG("ok"))
        for target in ["/val/../../etc/passwd", "/val/../secret.png", "/val/%2e%2e/secret.png",
                       "/val/epoch_001/..%2f..%2fsecret.png", "/../etc/passwd", "/val/epoch_001/../../secret.png"] {
            let response = try #require(try TestClient.get(target, port: server.port))
            #expect(response.status == 404 || response.status == 400, "\(target)")
            #expect(!response.text.contains("secret") && !response.text.contains("root:"))
        }
    }

    @Test func anOversizedHeaderIsRefused() throws {
        let server = try startDashboard()
        defer { server.stop() }
        let big = "GET / HTTP/1.1\r\nHost: x\r\nCookie: " + String(repeating: "c", count: 20_000) + "\r\n\r\n"
        let client = try TestClient(port: server.port)
        client.send(big)
        #expect(client.readResponse()?.status == 431)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try startDashboard()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        // Two pipelined requests, then a third after the answers.
        client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /api/status HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.readResponse()?.headers["connection"] == "keep-alive")
        #expect(client.readResponse()?.status == 200)
        client.send("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let last = client.readResponse()
        #expect(last?.status == 404)
        #expect(last?.headers["connection"] == "close")
        #expect(client.isClosedByServer())
    }

    @Test func concurrentRequestsAllSucceed() async throws {
        let server = try startDashboard()
        defer { server.stop() }
        let port = server.port
        let results = await withTaskGroup(of: Bool.self) { group in
            for k in 0..<24 {
                group.addTask {
                    let target = ["/", "/api/status", "/health"][k % 3]
                    for _ in 0..<3 {
                        guard let response = try? TestClient.get(target, port: port), response.status == 200 else { return false }
                    }
                    return true
                }
            }
            var all: [Bool] = []
            for await ok in group { all.append(ok) }
            return all
        }
        #expect(results.count == 24)
        #expect(results.allSatisfy { $0 })
    }

    @Test func aSlowClientDoesNotHoldUpOthersAndTimesOut() throws {
        var limits = HTTPServer.Limits()
        limits.headTimeout = 0.6
        let server = try startDashboard(limits: limits)
        defer { server.stop() }
        let slow = try TestClient(port: server.port)
        slow.send("GET / HTTP/1.1\r\nHo")
        let silent = try TestClient(port: server.port)   // connects, sends nothing

        let start = Date()
        #expect(try TestClient.get("/health", port: server.port)?.status == 200)
        #expect(Date().timeIntervalSince(start) < 0.5)

        #expect(slow.readResponse()?.status == 408)
        #expect(slow.isClosedByServer())
        #expect(silent.isClosedByServer())
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func connectionsBeyondTheLimitGet503() throws {
        var limits = HTTPServer.Limits()
        limits.maxConnections = 2
        let server = try startDashboard(limits: limits)
        defer { server.stop() }
        let a = try TestClient(port: server.port)
        let b = try TestClient(port: server.port)
        a.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        b.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(a.readResponse()?.status == 200)
        #expect(b.readResponse()?.status == 200)
        #expect(server.openConnections == 2)
        #expect(try TestClient.get("/health", port: server.port)?.status == 503)
    }

    @Test func stopClosesOpenConnectionsAndFreesThePort() throws {
        let server = try startDashboard()
        let port = server.port
        let idle = try TestClient(port: port)
        idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(idle.readResponse()?.status == 200)
        server.stop()
        server.stop()
        #expect(idle.isClosedByServer())
        #expect(server.openConnections == 0)
        #expect(throws: (any Error).self) { try TestClient(port: port) }
    }

    @Test func bindingATakenPortFailsClearly() throws {
        let server = try startDashboard()
        defer { server.stop() }
        let e = #expect(throws: DashboardError.self) { try Dashboard().start(listen: "127.0.0.1:\(server.port)") }
        #expect(e?.description.contains("bind") == true)
    }
}

import Config
import Foundation
import Testing
@testable import Cluster
import Hashing

/// A token for tests.
func testToken(_ text: String = "test-cluster-token-0123456789") -> ClusterToken {
    (try? ClusterToken(text)) ?? { preconditionFailure("valid literal") }()
}

/// Runs `server` on a thread against one accepted connection; returns its outcome.
func withServer<R: Sendable>(_ server: @escaping @Sendable (Connection) -> R, client: (HostPort) throws -> Void) throws -> R? {
    let listener = try Listener(on: HostPort(host: "127.0.0.1", port: 0))
    let result = LockedBox<R?>(nil)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        if let c = listener.accept(timeout: 10) { result.set(server(c)) }
        done.signal()
    }
    try client(HostPort(host: "127.0.0.1", port: listener.address.port))
    _ = done.wait(timeout: .now() + 15)
    listener.close()
    return result.get()
}

/// A client and a server connection after a real handshake: sealed, full frame limit.
struct AuthenticatedPair {
    let listener: Listener
    let client: Connection
    let server: Connection

    struct Failed: Error {}

    init(token: ClusterToken = testToken()) throws {
        listener = try Listener(on: HostPort(host: "127.0.0.1", port: 0))
        let accepted = LockedBox<Connection?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [listener] in
            if let c = listener.accept(timeout: 10),
               (try? Handshake.server(c, token: token) { _ in .success(Welcome(workerID: 1, runName: "t")) }) != nil {
                accepted.set(c)
            }
            done.signal()
        }
        client = try Connection.connect(to: HostPort(host: "127.0.0.1", port: listener.address.port), timeout: 5)
        _ = try Handshake.client(client, token: token, hello: Hello(role: .worker, name: "t", nonce: []))
        _ = done.wait(timeout: .now() + 15)
        guard let s = accepted.get() else { throw Failed() }
        server = s
    }

    func close() { client.close(); server.close(); listener.close() }
}

@Suite struct TransportTests {
    @Test func messagesCrossARealSocketIntactAndSealed() throws {
        let pair = try AuthenticatedPair()
        defer { pair.close() }
        #expect(pair.client.isSealed && pair.server.isSealed)
        let messages = sampleMessages()
        for m in messages { try pair.client.send(m) }
        let values: [Float] = (0..<100_000).map { Float($0) }
        try values.withUnsafeBufferPointer { try pair.client.sendRingChunk(step: 1, sequence: 2, values: $0) }
        let got = (0...messages.count).compactMap { _ in try? pair.server.receive(timeout: 5) }
        #expect(got.count == messages.count + 1)
        #expect(Array(got.prefix(messages.count)) == messages)
        #expect(got.last == .ringChunk(RingChunk(step: 1, sequence: 2, values: values)))
    }

    @Test func ringChunkFastPathsEqualTheMessageEncodingBothWays() throws {
        let pair = try AuthenticatedPair()
        defer { pair.close() }
        let values: [Float] = (0..<300_000).map { Float($0) * 0.25 }
        // Fast send, message receive.
        try values.withUnsafeBufferPointer { try pair.client.sendRingChunk(step: 4, sequence: 9, values: $0) }
        #expect(try pair.server.receive(timeout: 5) == .ringChunk(RingChunk(step: 4, sequence: 9, values: values)))
        // Message send, fast receive (added into a buffer of ones), then fast both ways (copied).
        try pair.server.send(.ringChunk(RingChunk(step: 5, sequence: 1, values: values)))
        var sum = [Float](repeating: 1, count: values.count)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * values.count, alignment: 64)
        defer { scratch.deallocate() }
        try sum.withUnsafeMutableBufferPointer { s in
            try pair.client.receiveRingChunk(step: 5, sequence: 1, count: values.count, into: s.baseAddress, mode: .add, scratch: scratch, timeout: 5)
        }
        #expect(sum == values.map { $0 + 1 })
        try values.withUnsafeBufferPointer { try pair.server.sendRingChunk(step: 6, sequence: 2, values: $0) }
        var copy = [Float](repeating: 0, count: values.count)
        try copy.withUnsafeMutableBufferPointer { s in
            try pair.client.receiveRingChunk(step: 6, sequence: 2, count: values.count, into: s.baseAddress, mode: .copy, scratch: scratch, timeout: 5)
        }
        #expect(copy == values)
    }

    @Test func receiveTimesOutOnASilentPeer() throws {
        let start = Date()
        let outcome = try withServer({ c -> String in
            do { _ = try c.receive(timeout: 0.3); return "received" } catch { return "\(error)" }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            Thread.sleep(forTimeInterval: 0.6)
            c.close()
        })
        #expect(outcome?.contains("within 0.3 s") == true)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func closeUnblocksAReceiverOnAnotherThread() throws {
        let listener = try Listener(on: HostPort(host: "127.0.0.1", port: 0))
        let client = try Connection.connect(to: HostPort(host: "127.0.0.1", port: listener.address.port), timeout: 5)
        let server = try #require(listener.accept(timeout: 5))
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = try? server.receive(timeout: 60)
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.1)
        server.close()
        #expect(done.wait(timeout: .now() + 2) == .success)
        client.close()
    }

    @Test func connectToAClosedPortFailsWithAReason() {
        #expect(throws: TransportError.self) { try Connection.connect(to: HostPort(host: "127.0.0.1", port: 1), timeout: 2) }
    }
}

@Suite struct AuthenticationTests {
    func hello(_ name: String = "w") -> Hello { Hello(role: .worker, name: name, nonce: []) }

    @Test func matchingTokensAuthenticateBothWays() throws {
        let token = testToken()
        let serverSaw = try withServer({ c in
            try? Handshake.server(c, token: token) { h in .success(Welcome(workerID: 7, runName: "run")) }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            let welcome = try Handshake.client(c, token: token, hello: hello("pc2"))
            #expect(welcome == Welcome(workerID: 7, runName: "run"))
        })
        #expect(serverSaw??.name == "pc2")
    }

    @Test func wrongTokenIsRefusedWithAReasonOnBothSides() throws {
        let serverError = try withServer({ c -> String in
            do { _ = try Handshake.server(c, token: testToken()) { _ in .success(Welcome(workerID: 1, runName: "")) }; return "admitted" }
            catch { return "\(error)" }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            do {
                _ = try Handshake.client(c, token: testToken("another-token-abcdef"), hello: hello())
                Issue.record("client authenticated with a wrong token")
            } catch {
                // The client notices first: the server could not prove the client's token.
                #expect("\(error)".contains("cluster token"))
            }
        })
        #expect(serverError != "admitted")
    }

    @Test func clientWithWrongTokenThatIgnoresTheServerProofIsStillRefused() throws {
        // A client that skips verifying the server and just sends a bogus proof.
        let serverError = try withServer({ c -> String in
            do { _ = try Handshake.server(c, token: testToken()) { _ in .success(Welcome(workerID: 1, runName: "")) }; return "admitted" }
            catch { return "\(error)" }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            try c.sendRaw(Preamble.bytes())
            try c.send(.hello(Hello(role: .worker, name: "evil", nonce: Handshake.freshNonce())))
            _ = try c.receiveRaw(count: 8, timeout: 5)
            _ = try c.receive(timeout: 5)
            try c.send(.proof(Proof(proof: [UInt8](repeating: 0, count: 32))))
            let reply = try c.receive(timeout: 5)
            #expect(reply == .refused(Refused(reason: "wrong cluster token (authentication failed)")))
        })
        #expect(serverError?.contains("wrong cluster token") == true)
    }

    @Test func oldProtocolVersionIsRefusedWithTheVersionsNamed() throws {
        let serverError = try withServer({ c -> String in
            do { _ = try Handshake.server(c, token: testToken()) { _ in .success(Welcome(workerID: 1, runName: "")) }; return "admitted" }
            catch { return "\(error)" }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            try c.sendRaw(Preamble.bytes(version: 0))
            _ = try c.receiveRaw(count: 8, timeout: 5)
            let reply = try c.receive(timeout: 5)
            guard case .refused(let r) = reply else { Issue.record("expected refused, got \(reply)"); return }
            #expect(r.reason.contains("version 0"))
        })
        #expect(serverError?.contains("version 0") == true)
    }

    @Test func nonHerdPeerAndSilentPeerAreDroppedQuickly() throws {
        let garbage = try withServer({ c -> String in
            do { _ = try Handshake.server(c, token: testToken(), timeout: 1) { _ in .success(Welcome(workerID: 1, runName: "")) }; return "admitted" }
            catch { return "\(error)" }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            try c.sendRaw(Array("GET / HTTP/1.1\r\n\r\n".utf8))
            Thread.sleep(forTimeInterval: 0.2)
        })
        #expect(garbage?.contains("magic") == true)
        let silent = try withServer({ c -> String in
            do { _ = try Handshake.server(c, token: testToken(), timeout: 0.5) { _ in .success(Welcome(workerID: 1, runName: "")) }; return "admitted" }
            catch { return "\(error)" }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            Thread.sleep(forTimeInterval: 1.0)
            c.close()
        })
        #expect(silent?.contains("within 0.5 s") == true)
    }

    @Test func admissionCanRefuseAfterAuthentication() throws {
        _ = try withServer({ c in
            try? Handshake.server(c, token: testToken()) { _ in .failure(Refused(reason: "run is full")) }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            #expect(throws: TransportError.self) { try Handshake.client(c, token: testToken(), hello: hello()) }
        })
    }

    @Test func handshakeProofsAndKeysComeFromTheTokenAndTheTokenNeverAppearsOnTheWire() throws {
        let token = testToken()
        let secret = Array(token.value.utf8)
        let t = Handshake.transcript(hello: [1, 2], challenge: [3])
        #expect(Handshake.proof(token: token, label: Handshake.clientLabel, transcript: t)
                == HMACSHA256.mac(key: secret, message: Array("herd-client-4".utf8) + t))
        #expect(Handshake.proof(token: token, label: Handshake.clientLabel, transcript: t)
                != Handshake.proof(token: token, label: Handshake.serverLabel, transcript: t))
        let nonceC = [UInt8](repeating: 1, count: 32), nonceS = [UInt8](repeating: 2, count: 32)
        let keys = Handshake.keys(token: token, clientNonce: nonceC, serverNonce: nonceS, transcript: t)
        #expect(keys.clientToServer != keys.serverToClient)
        #expect(keys.clientToServer == HKDF.derive(inputKey: secret, salt: nonceC + nonceS,
                                                   info: Array("herd-4 client to server".utf8) + t, count: 32))
        // No handshake message carries the token.
        for m in [Message.hello(Hello(role: .worker, name: "w", nonce: nonceC)), .challenge(Challenge(nonce: nonceS)),
                  .proof(Proof(proof: Handshake.proof(token: token, label: Handshake.clientLabel, transcript: t)))] {
            #expect(!contains(m.frame().encoded(), secret))
        }
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}

import Config
import Foundation
import Testing
@testable import Cluster
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19's audit rows 1, 2, 7 and 8 (row 3 is in `RingEvictionTests`), each as the attack
/// that succeeded before.
@Suite struct NetworkHardeningTests {
    /// Row 1: an unauthenticated peer announcing a 64 MiB frame used to make the server buffer it.
    @Test func aStrangersHugeFrameIsRefusedAfterAFewKilobytes() throws {
        let outcome = try withServer({ c -> (String, Int) in
            let outcome: String
            do { _ = try Handshake.server(c, token: testToken()) { _ in .success(Welcome(workerID: 1, runName: "")) }; outcome = "admitted" }
            catch { outcome = "\(error)" }
            return (outcome, c.bytesReceived)
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            var header = Preamble.bytes()
            Frame.appendHeader(to: &header, kind: MessageKind.hello.rawValue, payloadCount: 64 << 20, crc: 0)
            try c.sendRaw(header)
            // Keep pushing payload until the server hangs up (the kernel buffers take some).
            let megabyte = [UInt8](repeating: 0x41, count: 1 << 20)
            for _ in 0..<64 { guard (try? c.sendRaw(megabyte)) != nil else { break } }
            c.close()
        })
        let (error, received) = try #require(outcome)
        #expect(error.contains("over the limit of \(Handshake.maxFrameBytes) bytes"))
        #expect(received < Handshake.maxFrameBytes + 64, "the server read \(received) bytes from a stranger")
    }

    /// Row 2: 250 idle unauthenticated connections used to take a descriptor each until the
    /// coordinator ran out. Now at most `Listener.defaultMaxPending` are held (the rest are
    /// closed at once, logged), and a worker still joins and trains.
    @Test(.timeLimit(.minutes(2))) func idleStrangersHoldAtMostTheHandshakeLimitOfDescriptorsAndTrainingGoesOn() throws {
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1)
        var strangers: [Connection] = []
        for _ in 0..<250 {
            if let c = try? Connection.connect(to: HostPort(host: "127.0.0.1", port: port), timeout: 2) { strangers.append(c) }
        }
        Thread.sleep(forTimeInterval: 0.5)
        // The coordinator keeps a stranger's descriptor only while it may still be in its handshake:
        // every other one it has closed already (our end reads end-of-stream).
        let kept = strangers.filter { c in
            do { _ = try c.receiveRaw(count: 1, timeout: 0.02); return true } catch { return "\(error)".contains("closed the connection") == false }
        }.count
        #expect(strangers.count >= 200)
        #expect(kept <= Listener.defaultMaxPending + 2, "the coordinator kept \(kept) of \(strangers.count) idle strangers")
        cluster.startWorker("a", port: port)
        try #require(cluster.waitForEnd(timeout: 90), "\(cluster.transcript.suffix(3000))")
        #expect(cluster.coordinatorError.get() == nil)
        #expect(cluster.workers[0].handle.committedStep.get() == 6)
        #expect(cluster.transcript.contains("refused") && cluster.transcript.contains("still in their handshake"))
        for c in strangers { c.close() }
    }

    /// Row 7: the server used to send its proof to anyone who sent a hello, so a recorded
    /// reply let a stranger test token guesses offline.
    @Test func theServerProvesNothingToAPeerThatHasNotProvedTheToken() throws {
        let serverError = try withServer({ c -> String in
            do { _ = try Handshake.server(c, token: testToken()) { _ in .success(Welcome(workerID: 1, runName: "")) }; return "admitted" }
            catch { return "\(error)" }
        }, client: { address in
            let c = try Connection.connect(to: address, timeout: 5)
            try c.sendRaw(Preamble.bytes())
            try c.send(.hello(Hello(role: .worker, name: "guesser", nonce: Handshake.freshNonce())))
            _ = try c.receiveRaw(count: 8, timeout: 5)
            let challenge = try c.receiveFrame(timeout: 5)
            #expect(challenge.kind == MessageKind.challenge.rawValue)
            #expect(challenge.payload.count == Message.nonceSize, "the challenge holds the server's nonce and nothing else")
            try c.send(.proof(Proof(proof: [UInt8](repeating: 7, count: 32))))
            var replies: [Message] = []
            while let m = try? c.receive(timeout: 2) { replies.append(m) }
            #expect(replies == [.refused(Refused(reason: "wrong cluster token (authentication failed)"))])
        })
        #expect(serverError?.contains("wrong cluster token") == true)
    }

    @Test func aLowEntropyTokenIsRefusedWithHowToMakeOne() {
        for weak in [String(repeating: "a", count: 16), "abcdefghijklmnopqrstuvwxyz", String(repeating: "ab", count: 16)] {
            let e = #expect(throws: ClusterTokenError.self) { try ClusterToken(weak) }
            #expect(e?.description.contains("herd token") == true)
        }
        #expect(ClusterToken.estimatedBits(String(repeating: "a", count: 16)) == 0)
        #expect((try? ClusterToken.generate()) != nil)
    }

    /// Row 8: frames after the handshake used to cross in plaintext with a CRC32 anyone could recompute.
    @Test func framesAfterTheHandshakeAreUnreadableOnTheWire() throws {
        let pair = try AuthenticatedPair()
        defer { pair.close() }
        let secret = Array("the learning rate is 0.0002 and the token is not here".utf8)
        let frame = Message.bye(String(decoding: secret, as: UTF8.self)).frame()
        let onWire = pair.client.wireBytes(of: frame)
        #expect(onWire.count == frame.encoded().count + FrameSeal.overhead)
        let needle = Array(secret.prefix(16))
        #expect(!(0...(onWire.count - needle.count)).contains { Array(onWire[$0..<($0 + needle.count)]) == needle })
        try pair.client.sendRaw(onWire)
        #expect(try pair.server.receive(timeout: 5) == .bye(String(decoding: secret, as: UTF8.self)))
    }

    @Test(arguments: ["flipped bit", "replayed", "reordered", "unsealed", "flipped ring chunk"])
    func anAlteredReplayedOrReorderedFrameEndsTheConnection(attack: String) throws {
        let pair = try AuthenticatedPair()
        defer { pair.close() }
        let first = pair.client.wireBytes(of: Message.heartbeat(1).frame())
        let second = pair.client.wireBytes(of: Message.heartbeat(2).frame())
        switch attack {
        case "flipped bit":
            var bad = first; bad[Frame.headerSize + 3] ^= 0x10
            try pair.client.sendRaw(bad)
        case "replayed":
            try pair.client.sendRaw(first + first)
            #expect(try pair.server.receive(timeout: 5) == .heartbeat(1))
        case "reordered":
            try pair.client.sendRaw(second + first)
        case "unsealed":
            try pair.client.sendRaw(Message.heartbeat(3).frame().encoded())
        default:
            let values = [Float](repeating: 1, count: 1000)
            var chunk = pair.client.wireBytes(of: Message.ringChunk(RingChunk(step: 1, sequence: 0, values: values)).frame())
            chunk[chunk.count - 100] ^= 0x01
            try pair.client.sendRaw(chunk)
            var sum = [Float](repeating: 0, count: 1000)
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4000, alignment: 64)
            defer { scratch.deallocate() }
            let error = #expect(throws: TransportError.self) {
                try sum.withUnsafeMutableBufferPointer { s in
                    try pair.server.receiveRingChunk(step: 1, sequence: 0, count: 1000, into: s.baseAddress, mode: .add, scratch: scratch, timeout: 5)
                }
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains("authentication tag"))
            #expect(sum == [Float](repeating: 0, count: 1000), "nothing of a forged chunk is added")
            return
        }
        let error = #expect(throws: TransportError.self) { _ = try pair.server.receive(timeout: 5) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains(attack == "unsealed" ? "unsealed frame" : "authentication tag"), "\(text)")
    }
}

import Config
import Foundation
import Testing
@testable import Cluster

/// A frozen peer (SIGSTOP, a locked-up machine) keeps its sockets open and its kernel keeps
/// accepting bytes until the buffers are full: nothing fails, everything just stops.
@Suite struct RingFrozenPeerTests {
    @Test func aFrozenRingMemberMakesTheOthersFailWithinTheTimeoutInsteadOfHanging() throws {
        let token = testToken()
        let endpoints = try (0..<3).map { try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: token, workerID: $0) }
        defer { endpoints.forEach { $0.shutdown() } }
        let ring = endpoints.enumerated().map { RingMember(workerID: $0.offset, host: "127.0.0.1", port: $0.element.address.port) }
        let outcomes = LockedBox<[Int: (failed: Bool, seconds: Double)]>([:])
        let group = DispatchGroup()
        for r in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let links = try endpoints[r].links(generation: 1, ring: ring, timeout: 5)
                    if r == 2 { return }   // frozen: holds its links open, never reads nor sends
                    // 64 MB: far more than the socket buffers hold, so the send towards 2 blocks.
                    var buffer = [Float](repeating: 1, count: 16 << 20)
                    let start = Date()
                    let result = buffer.withUnsafeMutableBufferPointer { b in
                        Result { () throws(TransportError) in try links.allReduce(b, step: 1, timeout: 2, chunkFloats: 1 << 18) }
                    }
                    if case .failure = result { outcomes.update { $0[r] = (true, Date().timeIntervalSince(start)) } }
                    else { outcomes.update { $0[r] = (false, Date().timeIntervalSince(start)) } }
                } catch {
                    Issue.record("replica \(r) could not open its links: \(error)")
                }
            }
        }
        let finished = group.wait(timeout: .now() + 30) == .success
        #expect(finished, "the live replicas were still blocked 30 s after starting")
        let out = outcomes.get()
        for r in 0..<2 {
            let outcome = try #require(out[r], "replica \(r) never returned")
            #expect(outcome.failed, "replica \(r) finished an all-reduce with a frozen member")
            #expect(outcome.seconds < 2 + 5, "replica \(r) took \(outcome.seconds) s to give up (chunk timeout 2 s)")
        }
    }

    @Test func closingTheLinksCutsShortTheHandshakeWithAFrozenSuccessor() throws {
        let token = testToken()
        let me = try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: token, workerID: 0)
        defer { me.shutdown() }
        // A listener that never accepts: its kernel completes the TCP handshake, nobody answers ours.
        let frozen = try Listener(on: HostPort(host: "127.0.0.1", port: 0))
        defer { frozen.close() }
        let ring = [RingMember(workerID: 0, host: "127.0.0.1", port: me.address.port),
                    RingMember(workerID: 1, host: "127.0.0.1", port: frozen.address.port)]
        let aborted = LockedBox(false)
        let failedAfter = LockedBox<Double?>(nil)
        let done = DispatchSemaphore(value: 0)
        let start = Date()
        Thread.detachNewThread {
            defer { done.signal() }
            let result = Result { () throws(TransportError) in try me.links(generation: 1, ring: ring, timeout: 20, cancelled: { aborted.get() }) }
            if case .failure = result { failedAfter.set(Date().timeIntervalSince(start)) }
        }
        Thread.sleep(forTimeInterval: 0.5)   // well inside the 5 s handshake timeout
        aborted.set(true)
        me.closeLinks()   // what a worker does when the coordinator drops the step
        #expect(done.wait(timeout: .now() + 10) == .success, "links() still waiting 10 s after the abort")
        let seconds = try #require(failedAfter.get(), "links() succeeded with a successor that never answered")
        #expect(seconds < 3, "links() gave up \(seconds) s after starting; the abort came at 0.5 s")
    }
}

import Config
import Datasets
import Foundation
import Testing
@testable import Cluster

@Suite struct RingAllReduceTests {
    @Test func whatEachRankSendsIsWhatItsSuccessorExpects() {
        for size in 1...5 {
            for count in [0, 1, 7, 100, 1001] {
                let schedules = (0..<size).map { ChainSchedule(count: count, size: size, rank: $0, chunkFloats: 16) }
                // The chunks tile the buffer.
                var covered = [Int](repeating: 0, count: count)
                for k in 0..<schedules[0].chunks { for i in schedules[0].range(chunk: k) { covered[i] += 1 } }
                #expect(covered.allSatisfy { $0 == 1 })
                for rank in 0..<size where size > 1 {
                    #expect(schedules[rank].outgoing == schedules[(rank + 1) % size].incoming, "size \(size), rank \(rank)")
                }
            }
        }
    }

    /// The sum is `herd train`'s: rank 0's buffer and addends, then rank 1's, ... added one
    /// by one from the left, on every replica, whatever the ring size and chunking.
    @Test(arguments: [(1, 50, 8), (2, 1000, 64), (3, 10_007, 100), (4, 3, 1), (4, 333, 1000), (3, 0, 8), (2, 300_000, 65_536)])
    func sumsFollowRingOrderThenAddendOrderBitForBit(workers: Int, count: Int, chunk: Int) throws {
        let token = testToken()
        let endpoints = try (0..<workers).map { try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: token, workerID: $0) }
        defer { endpoints.forEach { $0.shutdown() } }
        let ring = endpoints.enumerated().map { RingMember(workerID: $0.offset, host: "127.0.0.1", port: $0.element.address.port) }
        // Per rank: its buffer and 0-2 addends, values whose float sums depend on the order.
        var rng = SplitMix64(seed: 9)
        let parts: [[[Float]]] = (0..<workers).map { r in
            (0...(r % 3)).map { _ in (0..<count).map { _ in Float.random(in: -1...1, using: &rng) * pow(10, Float.random(in: -4...4, using: &rng)) } }
        }
        var expected = [Float](repeating: 0, count: count)
        for part in parts.joined() { for i in 0..<count { expected[i] = expected[i] + part[i] } }
        let results = LockedBox<[Int: [Float]]>([:])
        let group = DispatchGroup()
        for r in 0..<workers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let links = try endpoints[r].links(generation: 1, ring: ring, timeout: 5)
                    var buffer = parts[r][0]
                    let addends = Array(parts[r].dropFirst())
                    try withBuffers(addends) { pointers in
                        _ = try buffer.withUnsafeMutableBufferPointer {
                            try links.allReduce($0, addends: pointers, step: 1, timeout: 5, chunkFloats: chunk)
                        }
                    }
                    results.update { $0[r] = buffer }
                } catch {
                    Issue.record("worker \(r): \(error)")
                }
            }
        }
        group.wait()
        let out = results.get()
        try #require(out.count == workers)
        for r in 0..<workers { #expect(out[r] == expected, "replica \(r) differs from the sum in slot order") }
    }

    @Test func aBrokenLinkFailsTheAllReduceQuicklyInsteadOfHanging() throws {
        let token = testToken()
        let endpoints = try (0..<3).map { try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: token, workerID: $0) }
        defer { endpoints.forEach { $0.shutdown() } }
        let ring = endpoints.enumerated().map { RingMember(workerID: $0.offset, host: "127.0.0.1", port: $0.element.address.port) }
        let failures = LockedBox<Int>(0)
        let group = DispatchGroup()
        let start = Date()
        for r in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let links = try endpoints[r].links(generation: 1, ring: ring, timeout: 5)
                    if r == 2 { endpoints[r].closeLinks(); return }   // replica 2 dies before sending anything
                    var buffer = [Float](repeating: 1, count: 100_000)
                    _ = try buffer.withUnsafeMutableBufferPointer { try links.allReduce($0, step: 1, timeout: 3, chunkFloats: 1000) }
                    Issue.record("worker \(r) finished an all-reduce with a dead member")
                } catch {
                    failures.update { $0 += 1 }
                }
            }
        }
        group.wait()
        #expect(failures.get() == 2)
        #expect(Date().timeIntervalSince(start) < 4)
    }

    @Test func ringLinksRefuseAWrongToken() throws {
        let good = try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: testToken(), workerID: 0)
        let bad = try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: testToken("intruder-token-xyz"), workerID: 1)
        defer { good.shutdown(); bad.shutdown() }
        let ring = [RingMember(workerID: 0, host: "127.0.0.1", port: good.address.port),
                    RingMember(workerID: 1, host: "127.0.0.1", port: bad.address.port)]
        #expect(throws: TransportError.self) { try bad.links(generation: 1, ring: ring, timeout: 1) }
    }

    @Test func localBenchmarkReportsAVerifiedResult() throws {
        let result = try AllReduceBenchmark.runLocal(workers: 3, megabytes: 2, iterations: 2, token: testToken())
        #expect(result.seconds.count == 2)
        #expect(result.report(linkGbit: 1).contains("bound at 1.00 Gbit/s"))
    }
}

/// Calls `body` with pointers to every array of `arrays` (valid only inside).
func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) throws -> R) throws -> R {
    var pointers: [UnsafeBufferPointer<Float>] = []
    func nest(_ i: Int) throws -> R {
        guard i < arrays.count else { return try body(pointers) }
        return try arrays[i].withUnsafeBufferPointer { p in
            pointers.append(p)
            return try nest(i + 1)
        }
    }
    return try nest(0)
}

import Config
import Datasets
import Foundation
import Testing
@testable import Cluster

@Suite struct RingAllReduceTests {
    @Test func scheduleCoversEverySegmentOnceInEachPhase() {
        for size in 2...5 {
            for count in [0, 1, 7, 100, 1001] {
                let schedule = RingSchedule(count: count, size: size, chunkFloats: 16)
                // The segments tile the buffer.
                var covered = [Int](repeating: 0, count: count)
                for seg in 0..<size { for k in 0..<schedule.chunksPerSegment { for i in schedule.range(segment: seg, chunk: k) { covered[i] += 1 } } }
                #expect(covered.allSatisfy { $0 == 1 })
                // What rank r receives at step s is what rank r-1 sends at step s.
                for rank in 0..<size {
                    for s in 0..<(2 * (size - 1)) {
                        #expect(schedule.receiveSegment(rank: rank, step: s) == schedule.sendSegment(rank: (rank - 1 + size) % size, step: s))
                    }
                }
            }
        }
    }

    @Test(arguments: [(2, 1000, 64), (3, 10_007, 100), (4, 3, 1), (3, 0, 8), (2, 300_000, 65_536)])
    func sumsAreCorrectAndBitIdenticalOnEveryReplica(workers: Int, count: Int, chunk: Int) throws {
        let token = testToken()
        let endpoints = try (0..<workers).map { try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: token, workerID: $0) }
        defer { endpoints.forEach { $0.shutdown() } }
        let ring = endpoints.enumerated().map { RingMember(workerID: $0.offset, host: "127.0.0.1", port: $0.element.address.port) }
        // Values whose float sums depend on the order: replicas must still agree bit for bit.
        let inputs: [[Float]] = (0..<workers).map { r in
            var rng = SplitMix64(seed: UInt64(r + 1))
            return (0..<count).map { _ in Float.random(in: -1...1, using: &rng) * 1e3 }
        }
        let results = LockedBox<[Int: [Float]]>([:])
        let group = DispatchGroup()
        for r in 0..<workers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let links = try endpoints[r].links(generation: 1, ring: ring, timeout: 5)
                    var buffer = inputs[r]
                    _ = try buffer.withUnsafeMutableBufferPointer { try links.allReduce($0, step: 1, timeout: 5, chunkFloats: chunk) }
                    results.update { $0[r] = buffer }
                } catch {
                    Issue.record("worker \(r): \(error)")
                }
            }
        }
        group.wait()
        let out = results.get()
        try #require(out.count == workers)
        for r in 1..<workers { #expect(out[r] == out[0], "replica \(r) differs from replica 0") }
        let reduced = try #require(out[0])
        for i in 0..<count {
            let exact = inputs.reduce(0.0) { $0 + Double($1[i]) }
            #expect(abs(Double(reduced[i]) - exact) <= 1e-3, "element \(i)")
        }
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

import Config
import Foundation

/// Measures ring all-reduce over real TCP, either with every replica on a
/// thread of this process (loopback) or as one member of a ring of processes
/// (e.g. one per network namespace of `home-lan.sh`).
public enum AllReduceBenchmark {
    public struct Result: Sendable {
        public var workers: Int
        public var floats: Int
        /// Seconds of each timed all-reduce (slowest replica), warm-up excluded.
        public var seconds: [Double]
        /// CRC32 of the reduced buffer, equal on every replica.
        public var checksum: UInt32

        public var bytes: Int { floats * 4 }
        public var bestSeconds: Double { seconds.min() ?? .nan }
        public var medianSeconds: Double { seconds.sorted()[seconds.count / 2] }
        /// Buffer bytes reduced per second (algorithm bandwidth), MB/s.
        public var megabytesPerSecond: Double { Double(bytes) / medianSeconds / 1e6 }
        /// Lower bound on the time at `linkGbit`: the busiest link carries
        /// `RingAllReduce.busiestLinkFraction(size:) × size`.
        public func boundSeconds(linkGbit: Double) -> Double {
            RingAllReduce.busiestLinkFraction(size: workers) * Double(bytes) / (linkGbit * 1e9 / 8)
        }

        public func report(linkGbit: Double?) -> String {
            var lines = [String(format: "all-reduce of %.1f MB over %d workers: median %.3f s, best %.3f s per step, %.1f MB/s (buffer bytes / time)",
                                Double(bytes) / 1e6, workers, medianSeconds, bestSeconds, megabytesPerSecond)]
            lines.append("  the busiest link carried \(String(format: "%.1f", RingAllReduce.busiestLinkFraction(size: workers) * Double(bytes) / 1e6)) MB per step; replicas agree (crc32 \(String(checksum, radix: 16)))")
            if let linkGbit {
                let bound = boundSeconds(linkGbit: linkGbit)
                lines.append(String(format: "  bound at %.2f Gbit/s: %.3f s per step (busiest link's bytes / link rate); achieved %.0f%% of it",
                                    linkGbit, bound, 100 * bound / medianSeconds))
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Deterministic test data whose sums are exact in float32, so the result can be checked.
    static func fill(_ buffer: inout [Float], rank: Int) {
        for i in buffer.indices { buffer[i] = Float((rank + i) % 7) - 3 }
    }

    static func verify(_ buffer: [Float], workers: Int) -> Bool {
        for i in stride(from: 0, to: buffer.count, by: max(1, buffer.count / 4096)) {
            var expected: Float = 0
            for r in 0..<workers { expected += Float((r + i) % 7) - 3 }
            if buffer[i] != expected { return false }
        }
        return true
    }

    /// All replicas on threads of this process, over loopback TCP.
    public static func runLocal(workers: Int, megabytes: Double, iterations: Int,
                                chunkFloats: Int = RingAllReduce.defaultChunkFloats, token: ClusterToken) throws -> Result {
        let floats = max(workers, Int(megabytes * 1e6 / 4))
        var endpoints: [RingEndpoint] = []
        for r in 0..<workers {
            endpoints.append(try RingEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), token: token, workerID: r))
        }
        defer { endpoints.forEach { $0.shutdown() } }
        let ring = endpoints.enumerated().map { RingMember(workerID: $0.offset, host: "127.0.0.1", port: $0.element.address.port) }
        let outcomes = LockedBox<[Int: Result]>([:])
        let failures = LockedBox<[String]>([])
        let group = DispatchGroup()
        let allEndpoints = endpoints
        for r in 0..<workers {
            group.enter()
            let endpoint = endpoints[r]
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let result = try member(endpoint: endpoint, ring: ring, floats: floats, iterations: iterations, chunkFloats: chunkFloats)
                    outcomes.update { $0[r] = result }
                } catch {
                    failures.update { $0.append("worker \(r): \(error)") }
                    allEndpoints.forEach { $0.closeLinks() }
                }
            }
        }
        group.wait()
        if let failure = failures.get().first { throw BenchmarkError(failure) }
        let all = outcomes.get().sorted { $0.key < $1.key }.map(\.value)
        guard let first = all.first else { throw BenchmarkError("no replica finished") }
        guard all.allSatisfy({ $0.checksum == first.checksum }) else {
            throw BenchmarkError("replicas disagree after the all-reduce (checksums \(all.map { String($0.checksum, radix: 16) }))")
        }
        // A step takes as long as its slowest replica.
        let seconds = (0..<first.seconds.count).map { i in all.map { $0.seconds[i] }.max() ?? 0 }
        return Result(workers: workers, floats: floats, seconds: seconds, checksum: first.checksum)
    }

    /// This process is member `rank` of a ring listening on `hosts` (one per member).
    public static func runMember(rank: Int, hosts: [HostPort], megabytes: Double, iterations: Int,
                                 chunkFloats: Int = RingAllReduce.defaultChunkFloats, token: ClusterToken) throws -> Result {
        guard hosts.indices.contains(rank) else { throw BenchmarkError("rank \(rank) is not in 0..<\(hosts.count)") }
        let endpoint = try RingEndpoint(listen: hosts[rank], token: token, workerID: rank)
        defer { endpoint.shutdown() }
        let ring = hosts.enumerated().map { RingMember(workerID: $0.offset, host: $0.element.host, port: $0.element.port) }
        return try member(endpoint: endpoint, ring: ring, floats: max(hosts.count, Int(megabytes * 1e6 / 4)),
                          iterations: iterations, chunkFloats: chunkFloats, linkTimeout: 60)
    }

    static func member(endpoint: RingEndpoint, ring: [RingMember], floats: Int, iterations: Int,
                       chunkFloats: Int, linkTimeout: Double = 10) throws -> Result {
        let links = try endpoint.links(generation: 1, ring: ring, timeout: linkTimeout)
        var initial = [Float](repeating: 0, count: floats)
        fill(&initial, rank: links.rank)
        var buffer = initial
        var seconds: [Double] = []
        for iteration in 0...iterations {
            buffer.withUnsafeMutableBufferPointer { b in initial.withUnsafeBufferPointer { _ = b.update(fromContentsOf: $0) } }
            // Barrier (a one-float all-reduce): every replica starts the timed one together, so a
            // replica's time is the all-reduce's, not its wait for the others to refill their buffers.
            _ = try links.barrier(step: 2 * iteration + 1, timeout: 30)
            let stats = try buffer.withUnsafeMutableBufferPointer { (b) throws -> RingAllReduce.Stats in
                try links.allReduce(b, step: 2 * iteration + 2, timeout: 30, chunkFloats: chunkFloats)
            }
            if iteration > 0 { seconds.append(stats.seconds) }   // iteration 0 warms up
        }
        guard verify(buffer, workers: ring.count) else { throw BenchmarkError("the reduced buffer has wrong sums") }
        return Result(workers: ring.count, floats: floats, seconds: seconds, checksum: buffer.withUnsafeBytes { CRC32.checksum($0) })
    }
}

/// A benchmark could not run; the message says why.
public struct BenchmarkError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

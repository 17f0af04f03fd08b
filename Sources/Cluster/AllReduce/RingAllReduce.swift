import Foundation
import Synchronization

/// All-reduce (sum) of a flat float buffer among `size` replicas in one fixed order of
/// float additions, the order `herd train` uses, whatever the number of replicas:
///
/// 1. Reduce, along the ring from rank 0: rank 0 starts the running sum with its buffer
///    (plus its `addends`, one by one); every later rank adds its buffer, then each of its
///    addends, to the running sum it receives, and passes it on. Rank `size-1` ends with
///    `((((b0 + a0…) + b1) + a1,0) + a1,1) + …`: with each replica's buffer and addends
///    holding its micro-batches' gradients in slot order, that is exactly `herd train`'s
///    `acc = acc + g_m` sequence (`b0` being rank 0's own such accumulation from zero).
/// 2. Gather: rank `size-1` sends the sum on around the ring (`size-1` → 0 → … → `size-2`),
///    each rank copying it and forwarding it.
///
/// The buffer is cut into chunks of `chunkFloats` that are pipelined: a rank passes chunk k
/// on as soon as it has summed it, while later chunks are still arriving.
///
/// Traffic: each link `r → r+1` carries the gradient once for the reduce (all but the link
/// into rank 0) and once for the gather (all but the link into rank `size-1`): with 2
/// replicas each link carries it once (as a classic ring's `2(N-1)/N` would), with 3 or
/// more the busiest links carry it twice. See ``busiestLinkFraction(size:)``.
public enum RingAllReduce {
    /// Default chunk: 256 Ki floats (1 MiB).
    public static let defaultChunkFloats = 256 << 10

    /// Timing of one all-reduce.
    public struct Stats: Sendable {
        public var seconds: Double
        public var bytesSent: Int
    }

    /// How many times the gradient crosses the busiest link of a ring of `size` (its bytes
    /// over the buffer's): 0 for one replica, 1 for two, 2 for three or more.
    public static func busiestLinkFraction(size: Int) -> Double {
        size <= 1 ? 0 : size == 2 ? 1 : 2
    }

    /// Sums `buffer` (and this replica's `addends`) across the ring in place, in the order
    /// described on ``RingAllReduce``; every replica ends with the bit-identical sum.
    ///
    /// - Parameters:
    ///   - addends: buffers of `buffer.count` floats added after `buffer`, in this order
    ///     (a replica's later micro-batch gradients); read only, never written.
    ///   - rank: this replica's position in the ring, 0..<size.
    ///   - next: link to rank+1 (we send on it); `previous`: link from rank-1 (we receive on it).
    ///   - step: tags every chunk; a chunk of another step is a protocol error.
    ///   - timeout: seconds to wait for any one chunk.
    /// - Throws: `TransportError` when a link breaks, times out or carries a wrong chunk;
    ///   the buffer then holds partial sums and must be discarded.
    public static func run(_ buffer: UnsafeMutableBufferPointer<Float>, addends: [UnsafeBufferPointer<Float>] = [],
                           rank: Int, size: Int, step: Int, next: Connection?, previous: Connection?,
                           chunkFloats: Int = defaultChunkFloats, timeout: Double = 10) throws(TransportError) -> Stats {
        let start = DispatchTime.now().uptimeNanoseconds
        precondition(addends.allSatisfy { $0.count == buffer.count }, "every addend must have the buffer's length")
        let schedule = ChainSchedule(count: buffer.count, size: size, rank: rank, chunkFloats: chunkFloats)
        guard size > 1 else {
            for k in 0..<schedule.chunks { add(addends, into: buffer, range: schedule.range(chunk: k)) }
            return Stats(seconds: 0, bytesSent: 0)
        }
        guard let next, let previous, (0..<size).contains(rank) else {
            throw .io(peer: "ring", operation: "all-reduce", reason: "rank \(rank) of \(size) has no ring links")
        }
        let shared = UnsafeFloats(buffer)
        let ready = DispatchSemaphore(value: 0)   // one signal per outgoing chunk that may be sent
        let senderDone = DispatchSemaphore(value: 0)
        let cancelled = Atomic<Bool>(false)
        let senderError = LockedBox<TransportError?>(nil)
        let sentBytes = Atomic<Int>(0)

        Thread.detachNewThread {
            defer { senderDone.signal() }
            for sequence in 0..<schedule.outgoing {
                while ready.wait(timeout: .now() + 0.25) == .timedOut {
                    if cancelled.load(ordering: .acquiring) { return }
                }
                if cancelled.load(ordering: .acquiring) { return }
                let range = schedule.range(chunk: sequence % schedule.chunks)
                do {
                    try next.sendRingChunk(step: step, sequence: sequence,
                                           values: UnsafeBufferPointer(rebasing: shared.buffer[range]))
                    sentBytes.add(range.count * 4, ordering: .relaxed)
                } catch {
                    senderError.set(error as? TransportError ?? .io(peer: next.peer, operation: "send", reason: "\(error)"))
                    cancelled.store(true, ordering: .releasing)
                    previous.close()   // unblock our receiver
                    return
                }
            }
        }

        func stopSender() {
            cancelled.store(true, ordering: .releasing)
            next.close()
            senderDone.wait()
        }

        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(4, schedule.largestChunk * 4), alignment: 64)
        defer { scratch.deallocate() }
        let base = shared.buffer.baseAddress
        do throws(TransportError) {
            // Reduce: rank 0 starts every chunk's running sum, the others add theirs to what arrives.
            for k in 0..<schedule.chunks {
                let range = schedule.range(chunk: k)
                if rank > 0 {
                    try previous.receiveRingChunk(step: step, sequence: k, count: range.count, into: base.map { $0 + range.lowerBound },
                                                  mode: .add, scratch: scratch, timeout: timeout)
                }
                add(addends, into: buffer, range: range)
                ready.signal()   // the running sum on (rank < size-1) or the final sum into the gather (rank size-1)
            }
            // Gather: copy the final sum and pass it on, except at the end of the gather.
            if rank != size - 1 {
                let first = rank == 0 ? 0 : schedule.chunks
                for k in 0..<schedule.chunks {
                    let range = schedule.range(chunk: k)
                    try previous.receiveRingChunk(step: step, sequence: first + k, count: range.count,
                                                  into: base.map { $0 + range.lowerBound }, mode: .copy, scratch: scratch, timeout: timeout)
                    if rank != size - 2 { ready.signal() }
                }
            }
        } catch {
            stopSender()
            throw senderError.get() ?? error
        }
        senderDone.wait()
        if let error = senderError.get() { throw error }
        return Stats(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                     bytesSent: sentBytes.load(ordering: .relaxed))
    }

    /// `buffer[range] += addend[range]` for each addend in turn.
    private static func add(_ addends: [UnsafeBufferPointer<Float>], into buffer: UnsafeMutableBufferPointer<Float>, range: Range<Int>) {
        guard let out = buffer.baseAddress else { return }
        for addend in addends {
            guard let a = addend.baseAddress else { continue }
            for i in range { out[i] = out[i] + a[i] }
        }
    }
}

/// Which chunks a rank receives and sends, in order (see ``RingAllReduce``).
///
/// The buffer is cut into `chunks` pieces of at most `chunkFloats` floats. Rank r receives
/// the running sums of chunks 0..<chunks (r > 0), then the final sums (r ≠ size-1); it sends
/// the running sums (r < size-1), then the final sums (r ≠ size-2; rank size-1 sends only
/// those). Sequence numbers count each link's frames, so what r sends as frame i is what
/// r+1 expects as frame i.
struct ChainSchedule: Sendable {
    let count: Int
    let size: Int
    let rank: Int
    let chunks: Int

    init(count: Int, size: Int, rank: Int, chunkFloats: Int) {
        self.count = count
        self.size = size
        self.rank = rank
        chunks = max(1, (count + max(1, chunkFloats) - 1) / max(1, chunkFloats))
    }

    /// Frames this rank receives: running sums from rank-1, then final sums.
    var incoming: Int { (rank > 0 ? chunks : 0) + (rank != size - 1 ? chunks : 0) }
    /// Frames this rank sends.
    var outgoing: Int {
        if size <= 1 { return 0 }
        if rank == size - 1 { return chunks }
        return chunks + (rank != size - 2 ? chunks : 0)
    }

    /// Floats in the longest chunk.
    var largestChunk: Int { (count + chunks - 1) / chunks + 1 }

    func range(chunk: Int) -> Range<Int> {
        (chunk * count / chunks)..<((chunk + 1) * count / chunks)
    }
}

/// A float buffer handed to the sender thread. Safe because the schedule never
/// lets the two threads touch the same floats at the same time (a chunk is
/// written by the receiver only after the sender has sent it, and sent only
/// after the receiver has finished writing it).
struct UnsafeFloats: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(_ buffer: UnsafeMutableBufferPointer<Float>) { self.buffer = buffer }
}

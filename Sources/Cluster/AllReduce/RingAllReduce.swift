import Foundation
import Synchronization

/// Ring all-reduce (sum) of a flat float buffer among `size` replicas:
/// reduce-scatter then all-gather, each segment cut into chunks that are
/// pipelined (chunk k of step s is sent as soon as chunk k of step s-1 has
/// arrived), with sending on a helper thread and receiving on the caller's.
///
/// Segment j's sum is built in the fixed ring order starting at rank j
/// (`((g_j + g_j+1) + g_j+2) + ...`) by exactly one replica and then copied to
/// the others, so every replica ends with bit-identical sums.
///
/// Traffic per replica: `2 (N-1)/N × count × 4` bytes each way.
public enum RingAllReduce {
    /// Default chunk: 256 Ki floats (1 MiB).
    public static let defaultChunkFloats = 256 << 10

    /// Timing of one all-reduce.
    public struct Stats: Sendable {
        public var seconds: Double
        public var bytesSent: Int
    }

    /// Sums `buffer` across the ring in place.
    ///
    /// - Parameters:
    ///   - rank: this replica's position in the ring, 0..<size.
    ///   - next: link to rank+1 (we send on it); `previous`: link from rank-1 (we receive on it).
    ///   - step: tags every chunk; a chunk of another step is a protocol error.
    ///   - timeout: seconds to wait for any one chunk.
    /// - Throws: `TransportError` when a link breaks, times out or carries a wrong chunk;
    ///   the buffer then holds partial sums and must be discarded.
    public static func run(_ buffer: UnsafeMutableBufferPointer<Float>, rank: Int, size: Int, step: Int,
                           next: Connection?, previous: Connection?, chunkFloats: Int = defaultChunkFloats,
                           timeout: Double = 10) throws(TransportError) -> Stats {
        let start = DispatchTime.now().uptimeNanoseconds
        guard size > 1 else { return Stats(seconds: 0, bytesSent: 0) }
        guard let next, let previous, (0..<size).contains(rank) else {
            throw .io(peer: "ring", operation: "all-reduce", reason: "rank \(rank) of \(size) has no ring links")
        }
        let schedule = RingSchedule(count: buffer.count, size: size, chunkFloats: chunkFloats)
        let shared = UnsafeFloats(buffer)
        let arrived = DispatchSemaphore(value: 0)
        let senderDone = DispatchSemaphore(value: 0)
        let cancelled = Atomic<Bool>(false)
        let senderError = LockedBox<TransportError?>(nil)
        let sentBytes = Atomic<Int>(0)

        Thread.detachNewThread {
            defer { senderDone.signal() }
            for sequence in 0..<schedule.sequenceCount {
                let (s, k) = schedule.split(sequence)
                if s > 0 {
                    // Wait until chunk k of step s-1 has arrived (and was summed in).
                    while arrived.wait(timeout: .now() + 0.25) == .timedOut {
                        if cancelled.load(ordering: .acquiring) { return }
                    }
                }
                if cancelled.load(ordering: .acquiring) { return }
                let range = schedule.range(segment: schedule.sendSegment(rank: rank, step: s), chunk: k)
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
        for sequence in 0..<schedule.sequenceCount {
            let (s, k) = schedule.split(sequence)
            let range = schedule.range(segment: schedule.receiveSegment(rank: rank, step: s), chunk: k)
            do {
                try previous.receiveRingChunk(step: step, sequence: sequence, count: range.count,
                                              into: shared.buffer.baseAddress.map { $0 + range.lowerBound },
                                              mode: s < size - 1 ? .add : .copy, scratch: scratch, timeout: timeout)
            } catch {
                stopSender()
                throw senderError.get() ?? error
            }
            arrived.signal()
        }
        senderDone.wait()
        if let error = senderError.get() { throw error }
        return Stats(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                     bytesSent: sentBytes.load(ordering: .relaxed))
    }
}

/// Which part of the buffer moves at each point of the ring schedule.
///
/// The buffer is cut into `size` segments of near-equal length, each into
/// `chunksPerSegment` chunks of at most `chunkFloats` floats. Step `s` of
/// `2 (size-1)` sends segment `(rank - s) mod size` and receives segment
/// `(rank - s - 1) mod size` (summing during the first `size-1` steps, copying after).
struct RingSchedule: Sendable {
    let count: Int
    let size: Int
    let chunksPerSegment: Int

    init(count: Int, size: Int, chunkFloats: Int) {
        self.count = count
        self.size = size
        let longest = (count + size - 1) / size
        chunksPerSegment = max(1, (longest + max(1, chunkFloats) - 1) / max(1, chunkFloats))
    }

    var sequenceCount: Int { 2 * (size - 1) * chunksPerSegment }

    /// Floats in the longest chunk.
    var largestChunk: Int { ((count + size - 1) / size + chunksPerSegment - 1) / chunksPerSegment + 1 }

    func split(_ sequence: Int) -> (step: Int, chunk: Int) { (sequence / chunksPerSegment, sequence % chunksPerSegment) }

    func sendSegment(rank: Int, step: Int) -> Int { ((rank - step) % size + size) % size }
    func receiveSegment(rank: Int, step: Int) -> Int { ((rank - step - 1) % size + size) % size }

    func range(segment: Int, chunk: Int) -> Range<Int> {
        let segStart = segment * count / size
        let segEnd = (segment + 1) * count / size
        let length = segEnd - segStart
        return (segStart + chunk * length / chunksPerSegment)..<(segStart + (chunk + 1) * length / chunksPerSegment)
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

/// The worker's all-reduce buffers: `[G ‖ D]` gradients copied out of the replica, summed
/// across the ring in place, and copied back; and, on a worker that is not first in the
/// ring, one more per micro-batch after its first (each micro-batch's gradient is kept on
/// its own until the running sum arrives, so the sum is added in slot order). Allocated
/// once per model (85 MB each for res-6 at ngf 64) and reused, so no step pays fresh pages
/// inside the timed reduce.
///
/// Ownership: the worker's step thread, and at most one background reduce, which owns
/// the range it was handed until it is waited for; the two never touch the same floats.
final class GradientStaging: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: 0)
    }

    deinit { buffer.deallocate() }

    var count: Int { buffer.count }

    /// Floats `range` as a buffer of their own.
    subscript(range: Range<Int>) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: buffer[range])
    }
}

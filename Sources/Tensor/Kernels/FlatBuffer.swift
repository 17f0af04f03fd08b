/// Optimizer-sized flat float buffers (tens of MB: a parameter group's gradients), filled and
/// summed on all kernel threads. A buffer that large is fresh memory from the system each time,
/// and faulting its pages in on one thread would leave the other threads idle.
public enum FlatBuffer {
    /// `count` zeros.
    public static func zeros(count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: Swift.max(count, 0)) { buffer, initialized in
            if let base = buffer.baseAddress {
                let shared = SharedPointer(base)
                Elementwise.forChunks(buffer.count) { range in
                    (shared.base + range.lowerBound).initialize(repeating: 0, count: range.count)
                }
            }
            initialized = buffer.count
        }
    }

    /// `destination[i] += source[i]` for `i < min(destination.count, source.count)`.
    public static func add(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>) {
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        let from = SharedPointer(UnsafeMutablePointer(mutating: src)), to = SharedPointer(dst)
        Elementwise.forChunks(Swift.min(source.count, destination.count)) { range in
            Elementwise.addInPlace(to.base + range.lowerBound, from.base + range.lowerBound, count: range.count)
        }
    }
}

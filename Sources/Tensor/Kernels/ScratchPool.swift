import Locking

/// Reusable 64-byte aligned scratch buffers (GEMM packing, column chunks), so kernels do not
/// allocate and page-fault fresh memory on every call.
enum ScratchPool {
    private final class Buffer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: capacity)
        }
        deinit { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    private static let free = Locked<[Buffer]>([])
    /// Buffers kept for reuse at most (more are freed on return).
    private static let keep = 8

    /// Runs body with an uninitialised buffer of at least `count` floats.
    static func with<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let needed = Swift.max(count, 16)
        let buffer = free.withLock { list -> Buffer? in
            // Smallest buffer that fits.
            var best: Int?
            for i in list.indices where list[i].capacity >= needed {
                if let current = best, list[current].capacity <= list[i].capacity { continue }
                best = i
            }
            if let best { return list.remove(at: best) }
            return nil
        } ?? Buffer(capacity: needed)
        defer {
            free.withLock { list in
                list.append(buffer)
                if list.count > keep {
                    // Drop the smallest buffer.
                    if let smallest = list.indices.min(by: { list[$0].capacity < list[$1].capacity }) {
                        list.remove(at: smallest)
                    }
                }
            }
        }
        return try body(buffer.pointer)
    }
}

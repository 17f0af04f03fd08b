import Locking

/// Freed tensor buffers kept for reuse, by exact size.
///
/// A training step allocates the same activation and gradient shapes over and over. Fresh large
/// allocations come from `mmap` and every page faults (and is zeroed by the kernel) on first touch,
/// which cost several percent of a step; a buffer taken from here is already resident. Sizes
/// match exactly or not at all, so no memory is wasted on rounding, and at most `capacityBytes`
/// are held idle.
enum StoragePool {
    /// Idle bytes kept at most; a buffer that would exceed it is freed.
    static let capacityBytes = 1 << 30
    /// Smaller buffers go straight to malloc, which serves them from its own free lists.
    static let minimumBytes = 1 << 16

    private struct Entry: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private struct State {
        var free: [Int: [Entry]] = [:]
        var idleBytes = 0
    }

    private static let state = Locked(State())

    /// A 64-byte aligned buffer of `byteCount` bytes (uninitialised).
    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= minimumBytes else { return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64) }
        let reused = state.withLock { state -> UnsafeMutableRawPointer? in
            guard let entry = state.free[byteCount]?.popLast() else { return nil }
            state.idleBytes -= byteCount
            return entry.pointer
        }
        return reused ?? UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
    }

    /// Returns a buffer from `allocate(byteCount:)`.
    static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= minimumBytes else {
            pointer.deallocate()
            return
        }
        let kept = state.withLock { state -> Bool in
            guard state.idleBytes + byteCount <= capacityBytes else { return false }
            state.free[byteCount, default: []].append(Entry(pointer: pointer))
            state.idleBytes += byteCount
            return true
        }
        if !kept { pointer.deallocate() }
    }

    /// Bytes currently held idle.
    static var idleBytes: Int { state.withLock { $0.idleBytes } }
}

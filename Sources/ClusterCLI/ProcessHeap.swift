#if canImport(Glibc)
import Glibc
#endif

/// Keeps a long-running process's heap from creeping up (glibc's allocator, through its
/// exported functions; nothing when they are absent).
///
/// Every thread that allocates gets a malloc arena of its own, up to 8 per core, and an
/// arena keeps the pages it once touched. A coordinator starts two threads per worker
/// connection, so each join after a departure can land in a fresh arena: RSS rose by
/// megabytes per worker replaced and never came back. Capping the arenas (before those
/// threads start) and trimming free pages now and then keeps it flat.
public enum ProcessHeap {
    /// Caps malloc arenas at `arenas` (glibc `mallopt(M_ARENA_MAX, n)`). Returns whether it applied.
    @discardableResult
    public static func limitArenas(_ arenas: Int32) -> Bool {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mARENA_MAX: Int32 = -8
        return unsafeBitCast(symbol, to: Mallopt.self)(mARENA_MAX, arenas) == 1
        #else
        return false
        #endif
    }

    /// Returns free heap pages to the system (glibc `malloc_trim(0)`). Returns whether memory was released.
    @discardableResult
    public static func trim() -> Bool {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        return unsafeBitCast(symbol, to: MallocTrim.self)(0) == 1
        #else
        return false
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value shared between threads, reachable only while its lock is held: the one lock
/// type of Herd.
///
/// It is a POSIX mutex (`pthread_mutex_t`) rather than the standard library's `Mutex`
/// because ThreadSanitizer sees a POSIX mutex: `swift build -sanitize=thread` intercepts
/// `pthread_mutex_lock`, so a run under it reports only real races. On Linux the standard
/// `Mutex` hands a contended lock over through the kernel (a futex) in uninstrumented
/// code, and ThreadSanitizer then reports a "Swift access race" even between two
/// `withLock` calls (checked with Swift 6.3: four threads updating one
/// `Mutex<[Int: Int]>`). Uncontended, both take one atomic operation; contended, both
/// spin briefly before they sleep (here: glibc's adaptive mutex).
///
///     let counts = Locked<[String: Int]>([:])
///     counts.withLock { $0["steps", default: 0] += 1 }
///
/// Like `Mutex`, it is `Sendable` whatever `Value` is: a value goes in and comes out
/// with `sending`, so no reference to it escapes the lock unchecked.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// A lock guarding `value`.
    public init(_ value: sending Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if canImport(Glibc)
        // Spin a little before sleeping, as `Mutex` does: kernels take these locks from
        // both pool threads at once, and a sleep and wake-up per contended call cost
        // 10% of `herd bench step --threads 2` (res-6, 128 px) against `Mutex`.
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        #endif
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` on the value with the lock held and returns what it returns. `body`
    /// must not call `withLock` on the same lock (the mutex is not recursive).
    public func withLock<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

import Dispatch
import Foundation
import Locking
import Synchronization

/// The fixed pool of threads that runs every kernel.
///
/// `parallelFor` hands indices out dynamically to the calling thread and `threadCount - 1`
/// helper threads and returns when all are done. Only one `parallelFor` runs on the pool at a
/// time: a call made while the pool is busy (from a kernel body, or from another thread) runs its
/// indices serially on the calling thread, so nesting never deadlocks.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that run a job, including the caller.
    public let threadCount: Int

    private let state = PoolState()
    private let helperCount: Int

    private static let sharedPool = Locked<ThreadPool>(ThreadPool(threads: ProcessInfo.processInfo.activeProcessorCount))

    /// The pool every kernel uses.
    public static var shared: ThreadPool { sharedPool.withLock { $0 } }

    /// Replaces the shared pool with one of `threads` threads (values below 1 mean 1). Call at
    /// startup (`--threads`); default: all cores.
    public static func configure(threads: Int) {
        let fresh = ThreadPool(threads: threads)
        let old = sharedPool.withLock { pool -> ThreadPool in
            let old = pool
            pool = fresh
            return old
        }
        old.shutdown()
    }

    /// A pool of `threads` threads (at least 1). Most code uses `shared`.
    public init(threads: Int) {
        threadCount = Swift.max(1, threads)
        helperCount = threadCount - 1
        for index in 0..<helperCount {
            let thread = Thread { [state] in
                while true {
                    state.wake.wait()
                    guard state.runCurrentJob() else { return }
                    state.done.signal()
                }
            }
            thread.name = "herd-tensor-\(index + 1)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Calls `body(i)` for every i in `0..<count`, spread over the pool, and returns when all calls
    /// have finished. Calls run in no particular order; `body` must only write disjoint memory.
    public func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        guard count > 1, helperCount > 0,
              state.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for index in 0..<count { body(index) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let job = PoolJob(count: count, body: escapable)
            state.currentJob.withLock { $0 = job }
            let helpers = Swift.min(helperCount, count - 1)
            for _ in 0..<helpers { state.wake.signal() }
            job.run()
            for _ in 0..<helpers { state.done.wait() }
            state.currentJob.withLock { $0 = nil }
        }
        state.busy.store(false, ordering: .releasing)
    }

    /// Stops the helper threads once the running job (if any) is over. Later calls run serially.
    private func shutdown() {
        while !state.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            Thread.sleep(forTimeInterval: 0.001)
        }
        state.currentJob.withLock { $0 = nil }
        for _ in 0..<helperCount { state.wake.signal() }
    }
}

/// What the caller and the helper threads share.
private final class PoolState: Sendable {
    let wake = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    /// The running job; nil between jobs and after shutdown (a woken helper seeing nil exits).
    let currentJob = Locked<PoolJob?>(nil)
    /// Set while a job runs; calls that find it set run serially.
    let busy = Atomic<Bool>(false)

    /// Runs the current job's remaining indices; false when there is none (shutdown). The job
    /// reference is dropped before returning, i.e. before the helper signals `done`: the caller's
    /// `withoutActuallyEscaping` requires that nobody holds the body afterwards.
    func runCurrentJob() -> Bool {
        guard let job = currentJob.withLock({ $0 }) else { return false }
        job.run()
        return true
    }
}

/// One `parallelFor` call: an index counter shared by the participating threads.
private final class PoolJob: @unchecked Sendable {
    let count: Int
    let body: @Sendable (Int) -> Void
    let next = Atomic<Int>(0)

    init(count: Int, body: @escaping @Sendable (Int) -> Void) {
        self.count = count
        self.body = body
    }

    func run() {
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if index >= count { return }
            body(index)
        }
    }
}

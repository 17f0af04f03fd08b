import Dispatch
import Locking
import Testing

@Suite struct LockedTests {
    @Test func threadsUpdatingOneValueLoseNoUpdate() {
        let counts = Locked([Int: Int]())
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<5_000 {
                counts.withLock { $0[i % 16, default: 0] += 1 }
            }
            _ = thread
        }
        let total = counts.withLock { $0.values.reduce(0, +) }
        #expect(total == 8 * 5_000)
        #expect(counts.withLock { $0.count } == 16)
    }

    struct Refused: Error, Equatable { let reason: String }

    @Test func withLockReturnsTheBodysResultAndRethrowsItsError() throws {
        let value = Locked(41)
        #expect(value.withLock { v -> Int in v += 1; return v * 2 } == 84)
        #expect(throws: Refused(reason: "full")) {
            try value.withLock { (v: inout Int) throws(Refused) -> Void in
                v = 0
                throw Refused(reason: "full")
            }
        }
        // A body that throws after mutating keeps its mutation, and the lock is free again.
        #expect(value.withLock { $0 } == 0)
    }
}

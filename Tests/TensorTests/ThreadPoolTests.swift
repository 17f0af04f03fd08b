import Locking
import Synchronization
import Testing
@testable import Tensor

@Suite struct ThreadPoolTests {
    @Test func parallelForRunsEveryIndexExactlyOnce() {
        let pool = ThreadPool(threads: 3)
        #expect(pool.threadCount == 3)
        let counts = Locked([Int](repeating: 0, count: 1000))
        pool.parallelFor(1000) { i in counts.withLock { $0[i] += 1 } }
        #expect(counts.withLock { $0.allSatisfy { $0 == 1 } })
    }

    @Test func nestedCallsRunWithoutDeadlock() {
        let pool = ThreadPool(threads: 2)
        let total = Atomic<Int>(0)
        pool.parallelFor(8) { _ in
            pool.parallelFor(10) { _ in total.add(1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 80)
    }

    @Test("GEMM results are bitwise identical whatever the thread count")
    func resultsDoNotDependOnThreadCount() {
        let (m, n, k) = (50, 300, 700)
        var a = randomValues(m * k, seed: 81), b = randomValues(k * n, seed: 82)
        func product(_ pool: ThreadPool) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeMutableBufferPointer { pa in
                b.withUnsafeMutableBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, n: n, k: k, a: DenseMatrix(base: pa.baseAddress!, rowStride: k, columnStride: 1),
                                      b: DenseMatrix(base: pb.baseAddress!, rowStride: n, columnStride: 1),
                                      c: pc.baseAddress!, ldc: n, accumulate: false, pool: pool)
                    }
                }
            }
            return c
        }
        #expect(product(ThreadPool(threads: 1)) == product(ThreadPool(threads: 3)))
    }
}

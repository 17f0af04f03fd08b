import Testing
@testable import Tensor

@Suite struct GEMMTests {
    func naive(_ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ b: [Float]) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for p in 0..<k { for j in 0..<n { c[i * n + j] += Double(a[i * k + p]) * Double(b[p * n + j]) } } }
        return c
    }

    @Test("GEMM matches a naive product for edge sizes, transposed operands and accumulation",
          arguments: [(1, 1, 1), (7, 17, 5), (6, 16, 384), (13, 35, 400), (100, 70, 3), (3, 600, 50), (200, 2, 129), (20, 1100, 500)])
    func gemmMatchesNaive(_ size: (Int, Int, Int)) {
        let (m, n, k) = size
        var a = randomValues(m * k, seed: 51), b = randomValues(k * n, seed: 52)
        let start = randomValues(m * n, seed: 53)
        var c = start
        let expected = naive(m, n, k, a, b)
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(m: m, n: n, k: k,
                                  a: DenseMatrix(base: pa.baseAddress!, rowStride: k, columnStride: 1),
                                  b: DenseMatrix(base: pb.baseAddress!, rowStride: n, columnStride: 1),
                                  c: pc.baseAddress!, ldc: n, accumulate: true)
                }
            }
        }
        expectClose(c, zip(expected, start).map { $0 + Double($1) }, tolerance: 1e-5, "C += A B \(size)")

        // The same product with both operands stored transposed, overwriting C.
        var at = [Float](repeating: 0, count: m * k), bt = [Float](repeating: 0, count: k * n)
        for i in 0..<m { for p in 0..<k { at[p * m + i] = a[i * k + p] } }
        for p in 0..<k { for j in 0..<n { bt[j * k + p] = b[p * n + j] } }
        at.withUnsafeMutableBufferPointer { pa in
            bt.withUnsafeMutableBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(m: m, n: n, k: k,
                                  a: DenseMatrix(base: pa.baseAddress!, rowStride: 1, columnStride: m),
                                  b: TransposedMatrix(base: DenseMatrix(base: pb.baseAddress!, rowStride: k, columnStride: 1)),
                                  c: pc.baseAddress!, ldc: n, accumulate: false)
                }
            }
        }
        expectClose(c, expected, tolerance: 1e-5, "C = A^T^T B^T^T \(size)")
    }

    @Test("the thread split covers the output exactly once in whole panels")
    func partitionCoversOutput() {
        for (m, n) in [(64, 65536), (147, 64), (3, 3136), (2304, 192), (1, 8192), (5, 5)] {
            for threads in 1...4 {
                let tasks = GEMM.partition(m: m, n: n, k: 1000, threads: threads)
                var covered = [Int](repeating: 0, count: m * n)
                for (rows, columns) in tasks { for i in rows { for j in columns { covered[i * n + j] += 1 } } }
                #expect(covered.allSatisfy { $0 == 1 }, "\(m)x\(n) on \(threads) threads")
                #expect(tasks.count <= 4 * threads)
            }
        }
    }
}

extension GEMMTests {
    @Test("GEMM results are bitwise the same on 1, 2 and 3 threads (shared packed A, column and row splits)",
          arguments: [(30, 2100, 700), (400, 40, 300), (7, 1500, 9)])
    func gemmDoesNotDependOnThreadCount(_ size: (Int, Int, Int)) {
        let (m, n, k) = size
        var a = randomValues(m * k, seed: 54), b = randomValues(k * n, seed: 55)
        var results: [[Float]] = []
        for threads in 1...3 {
            let pool = ThreadPool(threads: threads)
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeMutableBufferPointer { pa in
                b.withUnsafeMutableBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, n: n, k: k,
                                      a: DenseMatrix(base: pa.baseAddress!, rowStride: k, columnStride: 1),
                                      b: DenseMatrix(base: pb.baseAddress!, rowStride: n, columnStride: 1),
                                      c: pc.baseAddress!, ldc: n, accumulate: false, pool: pool)
                    }
                }
            }
            results.append(c)
        }
        let expected = naive(m, n, k, a, b)
        expectClose(results[0], expected, tolerance: 1e-5, "1 thread \(size)")
        #expect(results[1] == results[0], "2 threads \(size)")
        #expect(results[2] == results[0], "3 threads \(size)")
    }
}

/// Vectorised, multithreaded elementwise loops. Work is cut into fixed chunks (independent of the
/// thread count), so results never depend on how many threads ran them.
enum Elementwise {
    /// Elements per parallel chunk.
    static let grain = 1 << 15

    /// Runs `body` over `0..<count` in fixed chunks on the pool.
    static func forChunks(_ count: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let chunks = (count + grain - 1) / grain
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        ThreadPool.shared.parallelFor(chunks) { chunk in
            body((chunk * grain)..<Swift.min(count, (chunk + 1) * grain))
        }
    }

    /// `dst[i] = f(a[i])` with a vector and a scalar form of f.
    @inline(__always)
    static func map(
        _ a: TensorStorage, into dst: TensorStorage,
        _ vector: @escaping @Sendable (SIMD16<Float>) -> SIMD16<Float>, _ scalar: @escaping @Sendable (Float) -> Float
    ) {
        let pa = SharedPointer(a.pointer), pd = SharedPointer(dst.pointer)
        forChunks(a.count) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                storeVector(vector(loadVector(pa.base + i)), pd.base + i)
                i += 16
            }
            while i < range.upperBound {
                pd.base[i] = scalar(pa.base[i])
                i += 1
            }
        }
    }

    /// `dst[i] = f(a[i], b[i])`.
    @inline(__always)
    static func zip(
        _ a: TensorStorage, _ b: TensorStorage, into dst: TensorStorage,
        _ vector: @escaping @Sendable (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>,
        _ scalar: @escaping @Sendable (Float, Float) -> Float
    ) {
        let pa = SharedPointer(a.pointer), pb = SharedPointer(b.pointer), pd = SharedPointer(dst.pointer)
        forChunks(a.count) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                storeVector(vector(loadVector(pa.base + i), loadVector(pb.base + i)), pd.base + i)
                i += 16
            }
            while i < range.upperBound {
                pd.base[i] = scalar(pa.base[i], pb.base[i])
                i += 1
            }
        }
    }

    /// A new storage holding `a + b`.
    static func sum(_ a: TensorStorage, _ b: TensorStorage) -> TensorStorage {
        let out = TensorStorage(uninitializedCount: a.count)
        zip(a, b, into: out, { $0 + $1 }, { $0 + $1 })
        return out
    }

    /// `a += b`.
    static func addInPlace(_ a: TensorStorage, _ b: TensorStorage) {
        zip(a, b, into: a, { $0 + $1 }, { $0 + $1 })
    }

    /// `dst[i] += src[i]` for `i < count`, serial (callers parallelise around it).
    @inline(__always)
    static func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            storeVector(loadVector(dst + i) + loadVector(src + i), dst + i)
            i += 16
        }
        while i < count {
            dst[i] += src[i]
            i += 1
        }
    }

    /// Sum of `count` floats: float SIMD partial sums over blocks of 1024, blocks added in Double.
    static func sumDouble(_ p: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let end = Swift.min(count, start + 1024)
            var acc = SIMD16<Float>()
            var i = start
            while i + 16 <= end {
                acc += loadVector(p + i)
                i += 16
            }
            var block = Double(acc.sum())
            while i < end {
                block += Double(p[i])
                i += 1
            }
            total += block
            start = end
        }
        return total
    }

    /// Sum of `a[i] * b[i]`, blocks added in Double.
    static func dotDouble(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let end = Swift.min(count, start + 1024)
            var acc = SIMD16<Float>()
            var i = start
            while i + 16 <= end {
                acc = acc.addingProduct(loadVector(a + i), loadVector(b + i))
                i += 16
            }
            var block = Double(acc.sum())
            while i < end {
                block += Double(a[i]) * Double(b[i])
                i += 1
            }
            total += block
            start = end
        }
        return total
    }
}

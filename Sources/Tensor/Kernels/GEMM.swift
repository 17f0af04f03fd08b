/// Single-precision matrix multiply `C (+)= A · B` on packed, register-blocked panels.
///
/// Blocking (BLIS order): columns in blocks of `nc`, depth in blocks of `kc` (B block packed into
/// `nr`-wide k-major panels), rows in blocks of `mc` (A block packed into `mr`-tall k-major
/// panels), then an `mr x nr` SIMD16 micro-kernel. Work is split over threads by whole row or
/// column panels, never over the depth, so every element of C sums its products in the same
/// order whatever the thread count (results do not depend on `--threads`).
enum GEMM {
    static let mr = 6
    static let nr = 16
    static let kc = 384
    static let mc = 96
    static let nc = 2048

    /// Floats of scratch one serial multiply needs: packed A block, packed B block, one B row.
    static let scratchCount = mc * kc + kc * nc + nc + 64

    /// `C[i, j] (+)= sum_p A[i, p] * B[p, j]` for `i < m`, `j < n`, `p < k`, C row-major with row
    /// stride `ldc`. With `accumulate == false` C is overwritten. Runs on the pool.
    static func multiply<A: MatrixSource, B: MatrixSource>(
        m: Int, n: Int, k: Int, a: A, b: B, c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, pool: ThreadPool = .shared
    ) {
        let out = SharedPointer(c)
        multiplyBatched(
            batch: 1, m: m, n: n, k: k, a: { _ in a }, b: { _ in b }, c: { _ in out.base }, ldc: ldc,
            accumulate: { _ in accumulate }, pool: pool)
    }

    /// `batch` independent multiplies of the same size, item `t` from `a(t)`, `b(t)` into `c(t)`.
    /// Items run in order inside each thread's slice, so items may accumulate into the same C.
    static func multiplyBatched<A: MatrixSource, B: MatrixSource>(
        batch: Int, m: Int, n: Int, k: Int,
        a: @Sendable (Int) -> A, b: @Sendable (Int) -> B, c: @Sendable (Int) -> UnsafeMutablePointer<Float>,
        ldc: Int, accumulate: @Sendable (Int) -> Bool, pool: ThreadPool = .shared
    ) {
        guard m > 0, n > 0, batch > 0 else { return }
        let tasks = partition(m: m, n: n, k: k * batch, threads: pool.threadCount)
        pool.parallelFor(tasks.count) { task in
            let (rows, columns) = tasks[task]
            ScratchPool.with(count: scratchCount) { scratch in
                for item in 0..<batch {
                    multiplySerial(
                        rows: rows, columns: columns, k: k, a: a(item), b: b(item), c: c(item), ldc: ldc,
                        accumulate: accumulate(item), packedA: scratch, packedB: scratch + mc * kc,
                        line: scratch + mc * kc + kc * nc)
                }
            }
        }
    }

    /// Splits the output into one block of whole panels per thread, along whichever dimension
    /// balances better.
    static func partition(m: Int, n: Int, k: Int, threads: Int) -> [(Range<Int>, Range<Int>)] {
        let panelsM = (m + mr - 1) / mr
        let panelsN = (n + nr - 1) / nr
        let work = Double(m) * Double(n) * Double(Swift.max(k, 1))
        guard threads > 1, work >= Double(1 << 18), panelsM * panelsN > 1 else { return [(0..<m, 0..<n)] }
        func efficiency(_ panels: Int) -> Double {
            let parts = Swift.min(threads, panels)
            let largest = (panels + parts - 1) / parts
            return Double(panels) / Double(largest * threads)
        }
        func split(_ panels: Int, width: Int, total: Int) -> [Range<Int>] {
            let parts = Swift.min(threads, panels)
            var ranges: [Range<Int>] = []
            var start = 0
            for part in 0..<parts {
                let count = panels / parts + (part < panels % parts ? 1 : 0)
                let end = Swift.min(total, (start + count) * width)
                ranges.append(start * width ..< end)
                start += count
            }
            return ranges
        }
        if efficiency(panelsN) >= efficiency(panelsM) {
            return split(panelsN, width: nr, total: n).map { (0..<m, $0) }
        } else {
            return split(panelsM, width: mr, total: m).map { ($0, 0..<n) }
        }
    }

    /// The serial blocked multiply of C's sub-block `rows x columns`.
    static func multiplySerial<A: MatrixSource, B: MatrixSource>(
        rows: Range<Int>, columns: Range<Int>, k: Int, a: A, b: B, c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
        line: UnsafeMutablePointer<Float>
    ) {
        if k == 0 {
            if !accumulate {
                for i in rows { (c + i * ldc + columns.lowerBound).update(repeating: 0, count: columns.count) }
            }
            return
        }
        var jc = columns.lowerBound
        while jc < columns.upperBound {
            let ncb = Swift.min(nc, columns.upperBound - jc)
            var pc = 0
            while pc < k {
                let kcb = Swift.min(kc, k - pc)
                packB(b, depth: pc, kc: kcb, columns: jc, nc: ncb, into: packedB, line: line)
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mcb = Swift.min(mc, rows.upperBound - ic)
                    packA(a, rows: ic, mc: mcb, depth: pc, kc: kcb, into: packedA)
                    macroKernel(
                        mc: mcb, nc: ncb, kc: kcb, packedA: packedA, packedB: packedB,
                        c: c + ic * ldc + jc, ldc: ldc, accumulate: accumulate || pc > 0)
                    ic += mcb
                }
                pc += kcb
            }
            jc += ncb
        }
    }

    /// Packs A[rows i0..<i0+mc, depth p0..<p0+kc] into mr-tall panels, element (p, r) at p*mr + r.
    @inline(__always)
    static func packA<A: MatrixSource>(_ a: A, rows i0: Int, mc: Int, depth p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        var ir = 0
        while ir < mc {
            let count = Swift.min(mr, mc - ir)
            let panel = dst + ir * kc
            if a.prefersRowCopies {
                for r in 0..<count { a.copyRow(i0 + ir + r, columns: p0, count: kc, to: panel + r, stride: mr) }
            } else {
                for p in 0..<kc { a.copyColumn(p0 + p, rows: i0 + ir, count: count, to: panel + p * mr, stride: 1) }
            }
            ir += mr
        }
    }

    /// Packs B[depth p0..<p0+kc, columns j0..<j0+nc] into nr-wide panels, element (p, j) at
    /// p*nr + j, zero-padding the last panel. Row-friendly sources are read one whole row (nc
    /// columns) at a time into `line`, then dealt out to the panels.
    @inline(__always)
    static func packB<B: MatrixSource>(
        _ b: B, depth p0: Int, kc: Int, columns j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>,
        line: UnsafeMutablePointer<Float>
    ) {
        let full = nc / nr * nr
        if b.prefersRowCopies {
            for p in 0..<kc {
                b.copyRow(p0 + p, columns: j0, count: nc, to: line, stride: 1)
                var jr = 0
                while jr < full {
                    storeVector(loadVector(line + jr), dst + jr * kc + p * nr)
                    jr += nr
                }
                if full < nc {
                    let tail = dst + full * kc + p * nr
                    for j in 0..<nr { tail[j] = full + j < nc ? line[full + j] : 0 }
                }
            }
        } else {
            var jr = 0
            while jr < nc {
                let count = Swift.min(nr, nc - jr)
                let panel = dst + jr * kc
                if count < nr { panel.update(repeating: 0, count: kc * nr) }
                for j in 0..<count { b.copyColumn(j0 + jr + j, rows: p0, count: kc, to: panel + j, stride: nr) }
                jr += nr
            }
        }
    }

    /// All micro-tiles of one packed (mc x kc) A block times one packed (kc x nc) B block.
    static func macroKernel(
        mc: Int, nc: Int, kc: Int, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * nr) { tileBuffer in
            guard let tile = tileBuffer.baseAddress else { return }
            var jr = 0
            while jr < nc {
                let columns = Swift.min(nr, nc - jr)
                let b = UnsafePointer(packedB + jr * kc)
                var ir = 0
                while ir < mc {
                    let rows = Swift.min(mr, mc - ir)
                    let a = UnsafePointer(packedA + ir * kc)
                    let out = c + ir * ldc + jr
                    if columns == nr {
                        microKernel(rows: rows, kc: kc, a: a, b: b, c: out, ldc: ldc, accumulate: accumulate)
                    } else {
                        microKernel(rows: rows, kc: kc, a: a, b: b, c: tile, ldc: nr, accumulate: false)
                        for r in 0..<rows {
                            let dst = out + r * ldc
                            let src = tile + r * nr
                            if accumulate {
                                for j in 0..<columns { dst[j] += src[j] }
                            } else {
                                for j in 0..<columns { dst[j] = src[j] }
                            }
                        }
                    }
                    ir += mr
                }
                jr += nr
            }
        }
    }

    /// Dispatches to a micro-kernel specialised for the number of valid rows.
    @inline(__always)
    static func microKernel(
        rows: Int, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        switch rows {
        case 6: kernel6x16(rows: 6, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        case 5: kernel6x16(rows: 5, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        case 4: kernel6x16(rows: 4, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        case 3: kernel6x16(rows: 3, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        case 2: kernel6x16(rows: 2, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        default: kernel6x16(rows: 1, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    /// The register-blocked micro-kernel: up to 6 rows x 16 columns of C held in SIMD16 registers,
    /// one FMA (`addingProduct`) per row per depth step. `rows` is a constant after inlining, so
    /// the unused rows' code disappears.
    @inline(__always)
    static func kernel6x16(
        rows: Int, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
        var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
        var pa = a
        var pb = b
        for _ in 0..<kc {
            let bv = loadVector(pb)
            c0 = c0.addingProduct(SIMD16(repeating: pa[0]), bv)
            if rows > 1 { c1 = c1.addingProduct(SIMD16(repeating: pa[1]), bv) }
            if rows > 2 { c2 = c2.addingProduct(SIMD16(repeating: pa[2]), bv) }
            if rows > 3 { c3 = c3.addingProduct(SIMD16(repeating: pa[3]), bv) }
            if rows > 4 { c4 = c4.addingProduct(SIMD16(repeating: pa[4]), bv) }
            if rows > 5 { c5 = c5.addingProduct(SIMD16(repeating: pa[5]), bv) }
            pa += mr
            pb += nr
        }
        if accumulate {
            storeVector(loadVector(c) + c0, c)
            if rows > 1 { storeVector(loadVector(c + ldc) + c1, c + ldc) }
            if rows > 2 { storeVector(loadVector(c + 2 * ldc) + c2, c + 2 * ldc) }
            if rows > 3 { storeVector(loadVector(c + 3 * ldc) + c3, c + 3 * ldc) }
            if rows > 4 { storeVector(loadVector(c + 4 * ldc) + c4, c + 4 * ldc) }
            if rows > 5 { storeVector(loadVector(c + 5 * ldc) + c5, c + 5 * ldc) }
        } else {
            storeVector(c0, c)
            if rows > 1 { storeVector(c1, c + ldc) }
            if rows > 2 { storeVector(c2, c + 2 * ldc) }
            if rows > 3 { storeVector(c3, c + 3 * ldc) }
            if rows > 4 { storeVector(c4, c + 4 * ldc) }
            if rows > 5 { storeVector(c5, c + 5 * ldc) }
        }
    }
}

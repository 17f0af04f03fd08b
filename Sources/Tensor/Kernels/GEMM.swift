/// Single-precision matrix multiply `C (+)= A · B` on packed, register-blocked panels.
///
/// Blocking: columns in blocks of `nc`, depth in blocks of `kc` (B block packed into `nr`-wide
/// k-major panels, sized for L2), rows in blocks of `mc` (A block packed into `mr`-tall k-major
/// panels), then an `mr x nr` SIMD16 micro-kernel. Inside a block the micro-tiles walk along a
/// row panel (A panel in L1, consecutive C tiles in the same rows, which the hardware prefetcher
/// follows); measured on the 2-core Zen 3 this beat the BLIS order and KC/MC/NC 256-512/96-384/256-2048. Work is split over threads by whole row or
/// column panels, never over the depth, so every element of C sums its products in the same
/// order whatever the thread count (results do not depend on `--threads`). The operand every task
/// of a split needs whole (A for a column split, B for a row split) is packed once, in parallel,
/// and shared.
enum GEMM {
    static let mr = 6
    static let nr = 16
    static let kc = 384
    static let mc = 192
    static let nc = 512


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

    /// What the products are added to: C's old value (`accumulate`), zero, or a value per row.
    enum Start: Sendable {
        case zero
        case accumulate
        /// `C[i, j] = (sum ...) + rowValues[i]` (a convolution's bias), the bias added once to the
        /// complete sum like PyTorch does. Starting the sum from the bias instead rounds every
        /// partial sum at the bias' magnitude, and an instance norm after the convolution, which
        /// subtracts the bias again, turns that into visible error.
        case rows(SharedPointer)
    }

    /// `batch` independent multiplies of the same size, item `t` from `a(t)`, `b(t)` into `c(t)`.
    /// Items run in order inside each thread's slice, so items may accumulate into the same C.
    static func multiplyBatched<A: MatrixSource, B: MatrixSource>(
        batch: Int, m: Int, n: Int, k: Int,
        a: @Sendable (Int) -> A, b: @Sendable (Int) -> B, c: @Sendable (Int) -> UnsafeMutablePointer<Float>,
        ldc: Int, accumulate: @Sendable (Int) -> Bool, pool: ThreadPool = .shared
    ) {
        multiplyBatched(batch: batch, m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc,
                        start: { accumulate($0) ? .accumulate : .zero }, pool: pool)
    }

    /// `batch` multiplies, item `t` starting from `start(t)`.
    static func multiplyBatched<A: MatrixSource, B: MatrixSource>(
        batch: Int, m: Int, n: Int, k: Int,
        a: @Sendable (Int) -> A, b: @Sendable (Int) -> B, c: @Sendable (Int) -> UnsafeMutablePointer<Float>,
        ldc: Int, start: @Sendable (Int) -> Start, pool: ThreadPool = .shared
    ) {
        guard m > 0, n > 0, batch > 0 else { return }
        let tasks = partition(m: m, n: n, k: k * batch, threads: pool.threadCount)
        let packedRows = (m + mr - 1) / mr * mr
        if tasks.count > 1, k > 0, packedRows * k <= wholeALimit, tasks.allSatisfy({ $0.0 == 0..<m }) {
            // Column split: every task needs all of A. Pack it once, shared, instead of once per task.
            ScratchPool.with(count: packedRows * k) { packed in
                let shared = SharedPointer(packed)
                for item in 0..<batch {
                    packWholeA(a(item), m: m, k: k, into: shared, pool: pool)
                    let bItem = b(item), cItem = SharedPointer(c(item)), startItem = start(item)
                    pool.parallelFor(tasks.count) { task in
                        let (rows, columns) = tasks[task]
                        ScratchPool.with(count: kc * nc + nc + 64) { scratch in
                            multiplySerial(
                                rows: rows, columns: columns, k: k, a: DenseMatrix(base: shared.base, rowStride: 0, columnStride: 1) /* not read */, b: bItem, c: cItem.base, ldc: ldc,
                                start: startItem, packedA: shared.base, packedB: scratch, line: scratch + kc * nc,
                                aPacking: .prepacked)
                        }
                    }
                }
            }
            return
        }
        let packedColumns = (n + nr - 1) / nr * nr
        if tasks.count > 1, k > 0, packedColumns * k <= wholeALimit, tasks.allSatisfy({ $0.1 == 0..<n }) {
            // Row split: every task needs all of B. Pack it once, shared, instead of once per task.
            ScratchPool.with(count: packedColumns * k) { packed in
                let shared = SharedPointer(packed)
                for item in 0..<batch {
                    packWholeB(b(item), n: n, k: k, into: shared, pool: pool)
                    let aItem = a(item), bItem = b(item), cItem = SharedPointer(c(item)), startItem = start(item)
                    pool.parallelFor(tasks.count) { task in
                        let (rows, columns) = tasks[task]
                        let packedRows = (rows.count + mr - 1) / mr * mr
                        let wholeA = columns.count > nc && packedRows * k <= wholeALimit
                        let aCount = wholeA ? packedRows * k : mc * kc
                        ScratchPool.with(count: aCount) { scratch in
                            multiplySerial(
                                rows: rows, columns: columns, k: k, a: aItem, b: bItem, c: cItem.base, ldc: ldc,
                                start: startItem, packedA: scratch, packedB: shared.base, line: shared.base /* not used */,
                                aPacking: wholeA ? .whole : .perBlock, bPrepacked: true)
                        }
                    }
                }
            }
            return
        }
        pool.parallelFor(tasks.count) { task in
            let (rows, columns) = tasks[task]
            // With several column blocks, pack A once for all of them when it is not too large.
            let packedRows = (rows.count + mr - 1) / mr * mr
            let wholeA = columns.count > nc && packedRows * k <= wholeALimit
            let aCount = wholeA ? packedRows * k : mc * kc
            ScratchPool.with(count: aCount + kc * nc + nc + 64) { scratch in
                for item in 0..<batch {
                    multiplySerial(
                        rows: rows, columns: columns, k: k, a: a(item), b: b(item), c: c(item), ldc: ldc,
                        start: start(item), packedA: scratch, packedB: scratch + aCount,
                        line: scratch + aCount + kc * nc, aPacking: wholeA ? .whole : .perBlock)
                }
            }
        }
    }

    /// Packs all of A (`m x k`) in the layout `multiplySerial` reads with `.prepacked`: depth
    /// block `pc` at `pc * packedRows`, inside it the rows' mr-tall panels one after another.
    /// The (depth block, row block) pieces are packed in parallel.
    static func packWholeA<A: MatrixSource>(_ a: A, m: Int, k: Int, into packed: SharedPointer, pool: ThreadPool) {
        let packedRows = (m + mr - 1) / mr * mr
        let depthBlocks = (k + kc - 1) / kc, rowBlocks = (m + mc - 1) / mc
        pool.parallelFor(depthBlocks * rowBlocks) { piece in
            let pc = (piece / rowBlocks) * kc, ic = (piece % rowBlocks) * mc
            let kcb = Swift.min(kc, k - pc), mcb = Swift.min(mc, m - ic)
            packA(a, rows: ic, mc: mcb, depth: pc, kc: kcb, into: packed.base + pc * packedRows + ic * kcb)
        }
    }

    /// Packs all of B (`k x n`) in the layout `multiplySerial` reads with `bPrepacked`: column
    /// block `jc` (nc wide) at `jc * k`, inside it depth block `pc` at `pc * ncbPadded` (its
    /// width rounded up to whole nr panels). The (column block, depth block) pieces are packed in
    /// parallel.
    static func packWholeB<B: MatrixSource>(_ b: B, n: Int, k: Int, into packed: SharedPointer, pool: ThreadPool) {
        let depthBlocks = (k + kc - 1) / kc, columnBlocks = (n + nc - 1) / nc
        pool.parallelFor(depthBlocks * columnBlocks) { piece in
            let jc = (piece / depthBlocks) * nc, pc = (piece % depthBlocks) * kc
            let kcb = Swift.min(kc, k - pc), ncb = Swift.min(nc, n - jc)
            let padded = (ncb + nr - 1) / nr * nr
            ScratchPool.with(count: nc + 64) { line in
                packB(b, depth: pc, kc: kcb, columns: jc, nc: ncb, into: packed.base + jc * k + pc * padded, line: line)
            }
        }
    }

    /// Where `multiplySerial` gets its packed A blocks from.
    enum APacking {
        /// Packed per (depth block, row block) into a small buffer, again for every column block.
        case perBlock
        /// Packed whole during the first column block, reused by the others.
        case whole
        /// Already packed whole by `packWholeA` (the `a` operand is not read).
        case prepacked
    }

    /// Floats of packed A kept for reuse across column blocks at most (16 MB).
    static let wholeALimit = 1 << 22

    /// Narrowest column block a column split hands out when it has enough columns.
    static let minimumColumns = 128

    /// Splits the output into blocks of whole panels along whichever dimension balances better:
    /// one block per thread, except that wide column splits are cut into up to 4 blocks per thread
    /// of at least `minimumColumns` columns, which the pool hands out dynamically, so a thread
    /// slowed by other work on the machine is not waited for.
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
        func split(_ panels: Int, width: Int, total: Int, parts wanted: Int) -> [Range<Int>] {
            let parts = Swift.min(wanted, panels)
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
            // Blocks of at least `minimumColumns`: with A packed once for all tasks
            // (`multiplyBatched`) a narrower block costs no extra packing.
            let blocks = Swift.min(4 * threads, Swift.max(threads, n / minimumColumns))
            // Keep a multiple of the thread count so the last round is not lopsided.
            let parts = Swift.max(threads, blocks / threads * threads)
            return split(panelsN, width: nr, total: n, parts: parts).map { (0..<m, $0) }
        } else {
            return split(panelsM, width: mr, total: m, parts: threads).map { ($0, 0..<n) }
        }
    }

    /// The serial blocked multiply of C's sub-block `rows x columns`.
    static func multiplySerial<A: MatrixSource, B: MatrixSource>(
        rows: Range<Int>, columns: Range<Int>, k: Int, a: A, b: B, c: UnsafeMutablePointer<Float>, ldc: Int,
        start: Start, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
        line: UnsafeMutablePointer<Float>, aPacking: APacking = .perBlock, bPrepacked: Bool = false
    ) {
        // .whole / .prepacked: packedA holds every (depth block, row block) of this task's rows.
        let wholeA = aPacking != .perBlock
        let packedRows = (rows.count + mr - 1) / mr * mr
        var rowValues: UnsafeMutablePointer<Float>?
        var accumulate = false
        switch start {
        case .zero: break
        case .accumulate: accumulate = true
        case let .rows(values): rowValues = values.base
        }
        if k == 0 {
            if !accumulate {
                for i in rows {
                    (c + i * ldc + columns.lowerBound).update(repeating: rowValues?[i] ?? 0, count: columns.count)
                }
            }
            return
        }
        var jc = columns.lowerBound
        while jc < columns.upperBound {
            let ncb = Swift.min(nc, columns.upperBound - jc)
            var pc = 0
            while pc < k {
                let kcb = Swift.min(kc, k - pc)
                // bPrepacked: all of B was packed by `packWholeB` (columns start at 0 then).
                let blockB = bPrepacked ? packedB + jc * k + pc * ((ncb + nr - 1) / nr * nr) : packedB
                if !bPrepacked { packB(b, depth: pc, kc: kcb, columns: jc, nc: ncb, into: packedB, line: line) }
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mcb = Swift.min(mc, rows.upperBound - ic)
                    let blockA = wholeA ? packedA + pc * packedRows + (ic - rows.lowerBound) * kcb : packedA
                    if aPacking == .perBlock || (aPacking == .whole && jc == columns.lowerBound) {
                        packA(a, rows: ic, mc: mcb, depth: pc, kc: kcb, into: blockA)
                    }
                    macroKernel(
                        mc: mcb, nc: ncb, kc: kcb, packedA: blockA, packedB: blockB,
                        c: c + ic * ldc + jc, ldc: ldc, accumulate: accumulate || pc > 0,
                        rowValues: pc + kcb == k ? rowValues.map { $0 + ic } : nil)
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
            a.packPanel(rows: i0 + ir, count, columns: p0, count: kc, panel: mr, into: dst + ir * kc)
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
    /// `rowValues` (last depth block only): a value per row added after the sum.
    static func macroKernel(
        mc: Int, nc: Int, kc: Int, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, rowValues: UnsafeMutablePointer<Float>?
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * nr) { tileBuffer in
            guard let tile = tileBuffer.baseAddress else { return }
            var ir = 0
            while ir < mc {
                let rows = Swift.min(mr, mc - ir)
                let a = UnsafePointer(packedA + ir * kc)
                let start = rowValues.map { UnsafePointer($0 + ir) }
                var jr = 0
                while jr < nc {
                    let columns = Swift.min(nr, nc - jr)
                    let b = UnsafePointer(packedB + jr * kc)
                    let out = c + ir * ldc + jr
                    if columns == nr {
                        microKernel(rows: rows, kc: kc, a: a, b: b, c: out, ldc: ldc, accumulate: accumulate, start: start)
                    } else {
                        microKernel(rows: rows, kc: kc, a: a, b: b, c: tile, ldc: nr, accumulate: false, start: nil)
                        for r in 0..<rows {
                            let dst = out + r * ldc
                            let src = tile + r * nr
                            let bias = start?[r] ?? 0
                            if accumulate {
                                for j in 0..<columns { dst[j] = dst[j] + src[j] + bias }
                            } else {
                                for j in 0..<columns { dst[j] = src[j] + bias }
                            }
                        }
                    }
                    jr += nr
                }
                ir += mr
            }
        }
    }

    /// The number of valid rows of a micro-tile as a type: each `kernel6x16` specialisation has
    /// it as a constant (relying on `@inline(__always)` to fold a runtime argument proved fragile).
    protocol TileRows { static var rows: Int { get } }
    enum Rows1: TileRows { static var rows: Int { 1 } }
    enum Rows2: TileRows { static var rows: Int { 2 } }
    enum Rows3: TileRows { static var rows: Int { 3 } }
    enum Rows4: TileRows { static var rows: Int { 4 } }
    enum Rows5: TileRows { static var rows: Int { 5 } }
    enum Rows6: TileRows { static var rows: Int { 6 } }

    /// Dispatches to the micro-kernel specialised for the number of valid rows.
    @inline(__always)
    static func microKernel(
        rows: Int, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, start: UnsafePointer<Float>?
    ) {
        switch rows {
        case 6: kernel6x16(Rows6.self, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, start: start)
        case 5: kernel6x16(Rows5.self, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, start: start)
        case 4: kernel6x16(Rows4.self, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, start: start)
        case 3: kernel6x16(Rows3.self, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, start: start)
        case 2: kernel6x16(Rows2.self, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, start: start)
        default: kernel6x16(Rows1.self, kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, start: start)
        }
    }

    /// The register-blocked micro-kernel: up to 6 rows x 16 columns of C held in SIMD16 registers,
    /// one FMA (`addingProduct`) per row per depth step. `R.rows` is a constant in each
    /// specialisation, so the unused rows' code disappears.
    static func kernel6x16<R: TileRows>(
        _: R.Type, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, start: UnsafePointer<Float>?
    ) {
        let rows = R.rows
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
            c0 = loadVector(c) + c0
            if rows > 1 { c1 = loadVector(c + ldc) + c1 }
            if rows > 2 { c2 = loadVector(c + 2 * ldc) + c2 }
            if rows > 3 { c3 = loadVector(c + 3 * ldc) + c3 }
            if rows > 4 { c4 = loadVector(c + 4 * ldc) + c4 }
            if rows > 5 { c5 = loadVector(c + 5 * ldc) + c5 }
        }
        if let start {
            c0 += SIMD16(repeating: start[0])
            if rows > 1 { c1 += SIMD16(repeating: start[1]) }
            if rows > 2 { c2 += SIMD16(repeating: start[2]) }
            if rows > 3 { c3 += SIMD16(repeating: start[3]) }
            if rows > 4 { c4 += SIMD16(repeating: start[4]) }
            if rows > 5 { c5 += SIMD16(repeating: start[5]) }
        }
        storeVector(c0, c)
        if rows > 1 { storeVector(c1, c + ldc) }
        if rows > 2 { storeVector(c2, c + 2 * ldc) }
        if rows > 3 { storeVector(c3, c + 3 * ldc) }
        if rows > 4 { storeVector(c4, c + 4 * ldc) }
        if rows > 5 { storeVector(c5, c + 5 * ldc) }
    }
}

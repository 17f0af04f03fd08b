/// The weight gradient `dW[o, k] (+)= sum_n sum_pixels dy[n, o, pixel] * col(x[n])[k, pixel]` for
/// layers with a short patch (`K = C*KH*KW`, e.g. an RGB input layer) as dot products along the
/// pixels, without the GEMM's transposing (scalar) packing of both long operands.
///
/// Pixels go in blocks of `block`: the block's im2col rows and dy rows are copied as contiguous
/// runs (vector copies) into zero-padded buffers, then a 6 x 2 register tile of SIMD8 sums
/// (6 output channels x 2 patch rows) runs along the block. The per-lane sums persist across
/// blocks and samples in a buffer; at the end each dW element adds its 8 lanes in a fixed order.
/// Tasks own disjoint dW tiles (ranges of patch rows) and run through all blocks on their own, so
/// results do not depend on the thread count.
enum DirectWeightGrad {
    /// Output channels per register tile.
    static let tileO = 6
    /// Patch rows per register tile.
    static let tileK = 2
    /// Floats of im2col rows per pixel block (the block's column rows stay in L2).
    static let blockFloats = 96 * 1024

    /// Whether `g`'s weight gradient takes this path: a short patch (where the GEMM's packing is
    /// most of the work) and the lane sums' buffer stays small.
    /// (Stride 1 only: for a stride-2 RGB layer, 3->64 4x4, the GEMM over the phase-split input
    /// measured as fast.)
    static func applies(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && g.patch <= 160 && g.outChannels >= 8
    }

    /// `dW (+)= sum_n dy[n] · col_n^T`, with `col(n)` the im2col source of sample n (rows = patch,
    /// columns = pixels); dW `[O, patch]`.
    static func run<Source: MatrixSource>(
        _ g: ConvGeometry, col: (Int) -> Source, dy: UnsafeMutablePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, accumulate: Bool, pool: ThreadPool
    ) {
        let o = g.outChannels, k = g.patch, pixels = g.pixels
        let paddedO = (o + tileO - 1) / tileO * tileO
        let paddedK = (k + tileK - 1) / tileK * tileK
        let tilesO = paddedO / tileO, tilesK = paddedK / tileK
        // Pixels per block, a multiple of 8.
        let block = Swift.max(64, Swift.min(2048, blockFloats / paddedK / 8 * 8))
        // Row stride of the block buffers: not a multiple of 4 KB, so the 8 rows a register tile
        // reads do not compete for the same L1 sets.
        let ld = block + 16
        // Tasks own contiguous ranges of patch-row tiles and walk every block and sample with no
        // synchronisation between blocks; each copies the dy block it needs into its own buffer.
        let tasks = pool.threadCount == 1 ? 1 : Swift.min(tilesK, 2 * pool.threadCount)
        // Lane sums: tile (ti, tk) holds tileO * tileK SIMD8 vectors.
        let sumsCount = tilesO * tilesK * tileO * tileK * 8
        let columnsCount = paddedK * ld, gradientsCount = paddedO * ld
        let sources = (0..<g.batch).map(col)
        ScratchPool.with(count: sumsCount + columnsCount + tasks * gradientsCount) { scratch in
            let sums = scratch, columns = scratch + sumsCount, gradients = columns + columnsCount
            sums.update(repeating: 0, count: sumsCount)
            // Padding rows stay zero (they only feed the lane sums of padding outputs).
            (columns + k * ld).update(repeating: 0, count: (paddedK - k) * ld)
            for task in 0..<tasks {
                (gradients + task * gradientsCount + o * ld).update(repeating: 0, count: (paddedO - o) * ld)
            }
            let sumsPointer = SharedPointer(sums), columnsPointer = SharedPointer(columns)
            let gradientsPointer = SharedPointer(gradients), dys = SharedPointer(dy)
            let outputSize = g.outputSize
            pool.parallelFor(tasks) { task in
                let lowTile = tilesK * task / tasks, highTile = tilesK * (task + 1) / tasks
                let rows = gradientsPointer.base + task * gradientsCount
                for (n, source) in sources.enumerated() {
                    let dyN = dys.base + n * outputSize
                    var start = 0
                    while start < pixels {
                        let count = Swift.min(block, pixels - start)
                        let vectors = (count + 7) / 8
                        // Copy the block's im2col rows of this task's tiles and all its dy rows
                        // (padded with zeros to whole vectors).
                        for row in (lowTile * tileK)..<Swift.min(k, highTile * tileK) {
                            let dst = columnsPointer.base + row * ld
                            source.copyRow(row, columns: start, count: count, to: dst, stride: 1)
                            if count < vectors * 8 { (dst + count).update(repeating: 0, count: vectors * 8 - count) }
                        }
                        for row in 0..<o {
                            let dst = rows + row * ld
                            dst.update(from: dyN + row * pixels + start, count: count)
                            if count < vectors * 8 { (dst + count).update(repeating: 0, count: vectors * 8 - count) }
                        }
                        // The six gradient rows of an output tile stay in L1 while the column rows
                        // stream from L2.
                        for to in 0..<tilesO {
                            for tk in lowTile..<highTile {
                                kernel(
                                    vectors: vectors, gradients: UnsafePointer(rows + to * tileO * ld), rowStride: ld,
                                    columns: UnsafePointer(columnsPointer.base + tk * tileK * ld), columnStride: ld,
                                    sums: sumsPointer.base + (to * tilesK + tk) * tileO * tileK * 8)
                            }
                        }
                        start += count
                    }
                }
            }
            // dW[o, k] (+)= sum of the 8 lanes.
            let dws = SharedPointer(dWeight)
            pool.parallelFor(o) { row in
                let ti = row / tileO, r = row % tileO
                for column in 0..<k {
                    let tk = column / tileK, c = column % tileK
                    let lanes = sumsPointer.base + ((ti * tilesK + tk) * tileO * tileK + r * tileK + c) * 8
                    let v = UnsafeRawPointer(lanes).loadUnaligned(as: SIMD8<Float>.self)
                    let total = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
                    let out = dws.base + row * k + column
                    out.pointee = accumulate ? out.pointee + total : total
                }
            }
        }
    }

    /// Adds to `sums` (12 SIMD8: output r, patch row c at `(r * 2 + c) * 8`) the products of six
    /// gradient rows (`g` floats apart) and two column rows (`b` floats apart) over `vectors` * 8 pixels.
    @inline(__always)
    static func kernel(vectors: Int, gradients: UnsafePointer<Float>, rowStride g: Int, columns: UnsafePointer<Float>, columnStride b: Int, sums: UnsafeMutablePointer<Float>) {
        var s00 = load8(sums), s01 = load8(sums + 8), s10 = load8(sums + 16), s11 = load8(sums + 24)
        var s20 = load8(sums + 32), s21 = load8(sums + 40), s30 = load8(sums + 48), s31 = load8(sums + 56)
        var s40 = load8(sums + 64), s41 = load8(sums + 72), s50 = load8(sums + 80), s51 = load8(sums + 88)
        var offset = 0
        for _ in 0..<vectors {
            let c0 = load8(columns + offset), c1 = load8(columns + b + offset)
            let g0 = load8(gradients + offset)
            s00 = s00.addingProduct(g0, c0); s01 = s01.addingProduct(g0, c1)
            let g1 = load8(gradients + g + offset)
            s10 = s10.addingProduct(g1, c0); s11 = s11.addingProduct(g1, c1)
            let g2 = load8(gradients + 2 * g + offset)
            s20 = s20.addingProduct(g2, c0); s21 = s21.addingProduct(g2, c1)
            let g3 = load8(gradients + 3 * g + offset)
            s30 = s30.addingProduct(g3, c0); s31 = s31.addingProduct(g3, c1)
            let g4 = load8(gradients + 4 * g + offset)
            s40 = s40.addingProduct(g4, c0); s41 = s41.addingProduct(g4, c1)
            let g5 = load8(gradients + 5 * g + offset)
            s50 = s50.addingProduct(g5, c0); s51 = s51.addingProduct(g5, c1)
            offset += 8
        }
        @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
        }
        store(s00, sums); store(s01, sums + 8); store(s10, sums + 16); store(s11, sums + 24)
        store(s20, sums + 32); store(s21, sums + 40); store(s30, sums + 48); store(s31, sums + 56)
        store(s40, sums + 64); store(s41, sums + 72); store(s50, sums + 80); store(s51, sums + 88)
    }
}

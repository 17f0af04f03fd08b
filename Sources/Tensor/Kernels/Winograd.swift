/// Winograd F(4x4, 3x3) for stride-1 3x3 convolutions (the residual blocks' layers): each 4x4
/// block of outputs ("tile") is computed from its 6x6 input patch with 36 multiplications per
/// (output channel, input channel) instead of 144.
///
/// With `B`, `G`, `A` the F(4, 3) matrices of Lavin & Gray (interpolation points 0, ±1, ±2, ∞):
/// - weight transform:  `U[e][o][c] = (G w[o,c] G^T)[e]`, e over the 36 elements of a 6x6 tile;
/// - input transform:   `V[e][c][t] = (B^T d[c,t] B)[e]`, d the 6x6 patch of tile t (zero padding);
/// - one GEMM per e:    `M[e] (O x T) = U[e] (O x C) · V[e] (C x T)`, on the packed micro-kernel;
/// - output transform:  `y[o, tile t] = A^T M[.][o][t] A (+ bias)`.
/// The transforms write straight into the GEMM's packed panel layouts (U as mr-tall A panels, V
/// as nr-wide B panels through `TileSink.packed`, the whole depth in one block), so no separate
/// packing pass reads them again. The input grad of a stride-1 3x3 convolution is the same algorithm on dy with the
/// kernels flipped and transposed (read that way by the weight transform).
///
/// The weight gradient runs the transposed algorithm: `dW[o, c] = G^T (sum_t (A dY[o,t] A^T) ⊙
/// (B^T x[c,t] B)) G`, a GEMM per element over the tiles (dY's tile transformed by A, x's by B^T).
///
/// Deterministic: every transform is a fixed sequence of operations per value, and every GEMM
/// element sums its depth in order in one micro-kernel call; tasks only choose which values a
/// thread computes, so results do not depend on the thread count. Scratch (U, V, M) comes from
/// `ScratchPool`, sized per call; tiles are processed in chunks of whole tile rows so the
/// buffers stay bounded for large images.
enum Winograd {
    /// Outputs per tile side.
    static let tileSize = 4
    /// Elements of a transformed 6x6 tile.
    static let elements = 36
    /// Tiles per chunk at most (a chunk's V and M are `36 * channels * chunk` floats each).
    static let chunkTiles = 320
    /// GEMM columns (tiles) per task.
    static let columnBlock = 128
    /// Fewest input and output channels for Winograd. The residual layers of real models (ngf 64:
    /// 256 channels) qualify; the parity fixtures' tiny models (ngf 8: 32 channels) stay on the
    /// GEMM: with Winograd at 32 channels the tiny-b2 fixture's step-1 generator gradients moved
    /// 2e-3..5e-3 (norm-relative) from PyTorch's, over the 2e-4 tolerance, although every
    /// Winograd call of that run matched the GEMM within 2e-6 (unexplained so far).
    static let minimumChannels = 64

    /// Whether `g` runs on Winograd (forward, or the input grad when `g` is the flipped geometry).
    static func applies(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding <= 2
            && g.channels >= minimumChannels && g.outChannels >= minimumChannels
            && g.outHeight >= tileSize && g.outWidth >= tileSize && g.channels <= 1024
    }

    /// Whether `g`'s weight gradient runs on Winograd.
    static func appliesToWeightGrad(_ g: ConvGeometry) -> Bool { applies(g) }

    /// How the forward reads its 3x3 kernels from a weight tensor.
    enum Kernels {
        /// `w[row][depth][3][3]`: a convolution's own weight.
        case direct
        /// `w[depth][row][3][3]`, each kernel rotated by 180 degrees: the weight of the
        /// convolution of dy that computes a stride-1 convolution's input gradient.
        case flippedTransposed
    }

    /// `y = conv(x, w) + bias` for a stride-1 3x3 geometry `g` (`applies(g)`); y is overwritten.
    static func forward(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>, kernels: Kernels,
        bias: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>, pool: ThreadPool = .shared
    ) {
        let rows = g.outChannels, depth = g.channels
        let rowPanels = (rows + GEMM.mr - 1) / GEMM.mr
        let uStride = rowPanels * GEMM.mr * depth
        let layout = TileLayout(g)
        ScratchPool.with(count: elements * uStride) { u in
            let us = SharedPointer(u)
            transformWeights(weight, rows: rows, depth: depth, kernels: kernels, into: us, stride: uStride, pool: pool)
            ScratchPool.with(count: elements * depth * layout.maxColumns + elements * rows * layout.maxColumns + 16) { scratch in
                let vs = SharedPointer(scratch), ms = SharedPointer(scratch + elements * depth * layout.maxColumns)
                let biases = bias.map(SharedPointer.init)
                for n in 0..<g.batch {
                    let image = SharedPointer(x + n * g.inputSize), out = SharedPointer(y + n * g.outputSize)
                    for chunk in layout.chunks {
                        let columns = layout.columns(chunk)
                        // M[e] row o at o * 36 * columns + e * columns: an output channel's 36 rows are adjacent.
                        let vStride = columns * depth, mRow = elements * columns
                        // V[e] as packed B panels, written by the transform itself (one trip through memory).
                        pool.parallelFor(depth) { c in
                            layout.withPlaneScratch { phases, _ in
                                layout.transformInput(image.base + c * g.height * g.width, chunk: chunk, phases: phases,
                                                      into: .packed(vs.base, elementStride: vStride, depth: depth, row: c))
                            }
                        }
                        multiplyElements(rows: rows, columns: columns, depth: depth,
                                         a: { us.base + $0 * uStride }, b: { vs.base + $0 * vStride },
                                         c: { ms.base + $0 * columns }, ldc: mRow, pool: pool)
                        pool.parallelFor(rows) { o in
                            layout.transformOutput(ms.base + o * mRow, elementStride: columns, chunk: chunk,
                                                   bias: biases?.base[o] ?? 0, into: out.base + o * g.pixels)
                        }
                    }
                }
            }
        }
    }

    /// `dW (+)= sum_n sum_tiles G^T ((A dY A^T) ⊙ (B^T x B)) G` for a stride-1 3x3 geometry `g`
    /// (`applies(g)`); dW `[O, C, 3, 3]`, overwritten unless `accumulate`.
    static func backwardWeight(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, accumulate: Bool, pool: ThreadPool = .shared
    ) {
        let rows = g.outChannels, columns = (g.channels + GEMM.nr - 1) / GEMM.nr * GEMM.nr
        let rowPanels = (rows + GEMM.mr - 1) / GEMM.mr
        let layout = TileLayout(g)
        let maxDepth = layout.chunkRows * layout.tilesWide
        // M[e] row o at o * 36 * columns + e * columns: an output channel's 36 rows are adjacent.
        let aStride = rowPanels * GEMM.mr * maxDepth, bStride = columns * maxDepth, mStride = rows * columns, mRow = elements * columns
        ScratchPool.with(count: elements * (aStride + bStride + mStride)) { scratch in
            let a = SharedPointer(scratch), b = SharedPointer(scratch + elements * aStride)
            let m = SharedPointer(scratch + elements * (aStride + bStride))
            var first = true
            for n in 0..<g.batch {
                let image = SharedPointer(x + n * g.inputSize), gradient = SharedPointer(dy + n * g.outputSize)
                for chunk in layout.chunks {
                    let depth = chunk.count * layout.tilesWide
                    // Transformed dy tiles as packed A panels: (row o, depth t) at (o/6)*6*depth + t*6 + o%6.
                    pool.parallelFor(rows) { o in
                        layout.withPlaneScratch { phases, tiles in
                            layout.transformGradient(gradient.base + o * g.pixels, chunk: chunk, phases: phases, into: tiles)
                            let offset = (o / GEMM.mr) * GEMM.mr * depth + o % GEMM.mr
                            for e in 0..<elements {
                                let src = tiles + e * layout.tileStride, dst = a.base + e * aStride + offset
                                for t in 0..<depth { dst[t * GEMM.mr] = src[t] }
                            }
                        }
                    }
                    // Transformed x tiles as packed B panels: (depth t, column c) at (c/16)*16*depth + t*16 + c%16.
                    pool.parallelFor(columns) { c in
                        let offset = (c / GEMM.nr) * GEMM.nr * depth + c % GEMM.nr
                        guard c < g.channels else {
                            for e in 0..<elements {
                                let dst = b.base + e * bStride + offset
                                for t in 0..<depth { dst[t * GEMM.nr] = 0 }
                            }
                            return
                        }
                        layout.withPlaneScratch { phases, tiles in
                            layout.transformInput(image.base + c * g.height * g.width, chunk: chunk, phases: phases,
                                                  into: .plain(tiles, elementStride: layout.tileStride))
                            for e in 0..<elements {
                                let src = tiles + e * layout.tileStride, dst = b.base + e * bStride + offset
                                for t in 0..<depth { dst[t * GEMM.nr] = src[t] }
                            }
                        }
                    }
                    let blocks = (columns + columnBlock - 1) / columnBlock
                    let add = !first
                    pool.parallelFor(elements * blocks) { task in
                        let e = task / blocks, j0 = (task % blocks) * columnBlock
                        let width = Swift.min(columnBlock, columns - j0)
                        GEMM.macroKernel(mc: rows, nc: width, kc: depth, packedA: a.base + e * aStride,
                                         packedB: b.base + e * bStride + j0 * depth,
                                         c: m.base + e * columns + j0, ldc: mRow, accumulate: add, rowValues: nil)
                    }
                    first = false
                }
            }
            // dW[o, c] = G^T M[.][o][c] G, 8 input channels at a time.
            let dw = SharedPointer(dWeight)
            let channels = g.channels
            pool.parallelFor(rows) { o in
                withUnsafeTemporaryAllocation(of: SIMD8<Double>.self, capacity: 18 + 9) { buffer in
                    guard let s = buffer.baseAddress else { return }
                    var c0 = 0
                    while c0 < channels {
                        let src = m.base + o * mRow + c0
                        @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Double> {
                            SIMD8<Double>(load8(p))
                        }
                        // Rows: s[i * 3 + b] = (G^T over j of row i)[b].
                        for i in 0..<6 {
                            let r = src + i * 6 * columns
                            let v = inverseKernelTransform(
                                load(r), load(r + columns), load(r + 2 * columns), load(r + 3 * columns), load(r + 4 * columns), load(r + 5 * columns))
                            s[i * 3] = v.0
                            s[i * 3 + 1] = v.1
                            s[i * 3 + 2] = v.2
                        }
                        for column in 0..<3 {
                            let v = inverseKernelTransform(s[column], s[3 + column], s[6 + column], s[9 + column], s[12 + column], s[15 + column])
                            s[18 + column] = v.0
                            s[21 + column] = v.1
                            s[24 + column] = v.2
                        }
                        let lanes = Swift.min(8, channels - c0)
                        for lane in 0..<lanes {
                            let dst = dw.base + (o * channels + c0 + lane) * 9
                            for tap in 0..<9 {
                                let value = Float(s[18 + tap][lane])
                                dst[tap] = accumulate ? dst[tap] + value : value
                            }
                        }
                        c0 += 8
                    }
                }
            }
        }
    }

    /// `G^T · u` (6 values to 3): the adjoint of the kernel transform, for the weight gradient
    /// (in Double: the weights of the sum are not powers of two).
    @inline(__always)
    static func inverseKernelTransform(
        _ u0: SIMD8<Double>, _ u1: SIMD8<Double>, _ u2: SIMD8<Double>, _ u3: SIMD8<Double>, _ u4: SIMD8<Double>, _ u5: SIMD8<Double>
    ) -> (SIMD8<Double>, SIMD8<Double>, SIMD8<Double>) {
        typealias V = SIMD8<Double>
        // Multiplications by the reciprocals, not divisions (a division's throughput is ~8x lower).
        let sixth = V(repeating: 1.0 / 6), fifteenth = V(repeating: 1.0 / 15), half = V(repeating: 0.5)
        let sum12: V = u1 + u2
        let sixths: V = sum12 * sixth
        var g0: V = u0 * half + sixths
        g0 += u3 * V(repeating: 16.0 / 15)
        g0 += u4 * V(repeating: 1.0 / 30)
        var g1: V = (u2 - u1) * sixth
        g1 += u3 * V(repeating: 8.0 / 15)
        g1 -= u4 * fifteenth
        var g2: V = sixths + u3 * V(repeating: 4.0 / 15)
        g2 += u4 * V(repeating: 2.0 / 15)
        g2 += u5 * half
        return (g0, g1, g2)
    }

    /// `A · y` (4 values to 6): the adjoint of the output transform, for the weight gradient.
    @inline(__always)
    static func gradientTransform(
        _ y0: SIMD16<Float>, _ y1: SIMD16<Float>, _ y2: SIMD16<Float>, _ y3: SIMD16<Float>
    ) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let even = y0 + y2, odd = y1 + y3
        typealias V = SIMD16<Float>
        var z3: V = y0 + V(repeating: 0.5) * y1
        z3 += V(repeating: 0.25) * y2
        z3 += V(repeating: 0.125) * y3
        var z4: V = y0 - V(repeating: 2) * y1
        z4 += V(repeating: 4) * y2
        z4 -= V(repeating: 8) * y3
        return (y0, even - odd, even + odd, z3, z4, y3)
    }

    /// `M[e] = A[e] · B[e]` for the 36 elements: A packed as mr-tall panels over the whole depth,
    /// B as nr-wide panels (columns a multiple of nr), M row-major with row stride `ldc`. Tasks
    /// are (element, column block) pairs; each output is one micro-kernel sum over the depth.
    static func multiplyElements(
        rows: Int, columns: Int, depth: Int,
        a: @Sendable (Int) -> UnsafeMutablePointer<Float>, b: @Sendable (Int) -> UnsafeMutablePointer<Float>,
        c: @Sendable (Int) -> UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool
    ) {
        let blocks = (columns + columnBlock - 1) / columnBlock
        pool.parallelFor(elements * blocks) { task in
            let e = task / blocks, j0 = (task % blocks) * columnBlock
            let width = Swift.min(columnBlock, columns - j0)
            GEMM.macroKernel(mc: rows, nc: width, kc: depth, packedA: a(e), packedB: b(e) + j0 * depth,
                             c: c(e) + j0, ldc: ldc, accumulate: false, rowValues: nil)
        }
    }

    /// Writes `U[e] = (G k G^T)[e]` for every (row, depth) kernel k as packed A panels:
    /// element (row r, depth d) of U[e] at `e * stride + (r/6)*6*depth + d*6 + r%6`, rows past
    /// the last zero. A panel's 6 rows at 8 consecutive depths are 48 consecutive floats of every
    /// U[e], so the transform runs on 48 kernels at a time (lane `dl * 6 + r`) and stores whole
    /// vectors.
    static func transformWeights(
        _ weight: UnsafeMutablePointer<Float>, rows: Int, depth: Int, kernels: Kernels, into u: SharedPointer,
        stride: Int, pool: ThreadPool
    ) {
        let w = SharedPointer(weight)
        let mr = GEMM.mr, group = 8, width = 8 * GEMM.mr
        let panels = (rows + mr - 1) / mr
        pool.parallelFor(panels) { panel in
            let panelBase = panel * mr * depth
            let panelRows = Swift.min(mr, rows - panel * mr)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: (9 + 18) * width) { buffer in
                guard let taps = buffer.baseAddress else { return }
                let gk = taps + 9 * width
                var d0 = 0
                while d0 < depth {
                    let depths = Swift.min(group, depth - d0)
                    // taps[tap * 48 + dl * 6 + r]: tap `tap` of kernel (panel row r, depth d0 + dl).
                    if depths < group || panelRows < mr { taps.update(repeating: 0, count: 9 * width) }
                    for dl in 0..<depths {
                        for r in 0..<panelRows {
                            let row = panel * mr + r, lane = dl * mr + r
                            switch kernels {
                            case .direct:
                                let src = w.base + (row * depth + d0 + dl) * 9
                                for tap in 0..<9 { taps[tap * width + lane] = src[tap] }
                            case .flippedTransposed:
                                let src = w.base + ((d0 + dl) * rows + row) * 9
                                for tap in 0..<9 { taps[tap * width + lane] = src[8 - tap] }
                            }
                        }
                    }
                    let valid = depths * mr
                    var block = 0
                    while block < valid {
                        defer { block += 16 }
                        // G k (6x3) by columns, then each row of it times G^T.
                        for column in 0..<3 {
                            let t = kernelTransform(loadVector(taps + column * width + block), loadVector(taps + (3 + column) * width + block),
                                                    loadVector(taps + (6 + column) * width + block))
                            storeSix(t, gk + column * width + block, stride: 3 * width)
                        }
                        let lanes = Swift.min(16, valid - block)
                        for i in 0..<6 {
                            let t = kernelTransform(loadVector(gk + i * 3 * width + block), loadVector(gk + (i * 3 + 1) * width + block),
                                                    loadVector(gk + (i * 3 + 2) * width + block))
                            let dst = u.base + i * 6 * stride + panelBase + d0 * mr + block
                            if lanes == 16 {
                                storeSix(t, dst, stride: stride)
                            } else {
                                // The last depths of a panel: never write past them (the next panel is another task's).
                                for lane in 0..<lanes {
                                    dst[lane] = t.0[lane]
                                    dst[stride + lane] = t.1[lane]
                                    dst[2 * stride + lane] = t.2[lane]
                                    dst[3 * stride + lane] = t.3[lane]
                                    dst[4 * stride + lane] = t.4[lane]
                                    dst[5 * stride + lane] = t.5[lane]
                                }
                            }
                        }
                    }
                    d0 += group
                }
            }
        }
    }

    // The F(4x4, 3x3) matrices over the interpolation points 0, -1, 1, 1/2, -2 and infinity.
    // Against Lavin's 0, ±1, ±2 they cut the error of a 256-channel layer about threefold
    // (the GEMM's sequential float sums over the transformed values dominate the error, and
    // these points keep the transformed magnitudes lower). Rows scaled by powers of two only
    // (exact) to keep B^T integral:
    //   B^T = [2 -3 -4 3 2 0; 0 -2 5 -1 -2 0; 0 -2 1 5 2 0; 0 2 1 -2 -1 0; 0 1 -2 -1 2 0; 0 2 -3 -4 3 2]
    //   G   = [1/2 0 0; 1/6 -1/6 1/6; 1/6 1/6 1/6; 16/15 8/15 4/15; 1/30 -1/15 2/15; 0 0 1/2]
    //   A^T = [1 1 1 1 1 0; 0 -1 1 1/2 -2 0; 0 1 1 1/4 4 0; 0 -1 1 1/8 -8 1]

    /// `G · (k0, k1, k2)`: the kernel transform (3 values to 6).
    @inline(__always)
    static func kernelTransform(
        _ k0: SIMD16<Float>, _ k1: SIMD16<Float>, _ k2: SIMD16<Float>
    ) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let half = SIMD16<Float>(repeating: 0.5), sixth = SIMD16<Float>(repeating: 1 / 6)
        let even = k0 + k2
        typealias V = SIMD16<Float>
        var t3: V = V(repeating: 16) * k0 + V(repeating: 8) * k1
        t3 = (t3 + V(repeating: 4) * k2) * V(repeating: 1 / 15)
        var t4: V = k0 - V(repeating: 2) * k1
        t4 = (t4 + V(repeating: 4) * k2) * V(repeating: 1 / 30)
        return (k0 * half, (even - k1) * sixth, (even + k1) * sixth, t3, t4, k2 * half)
    }

    /// `B^T · d`: the input transform (6 values to 6).
    @inline(__always)
    static func inputTransform(
        _ d0: SIMD16<Float>, _ d1: SIMD16<Float>, _ d2: SIMD16<Float>, _ d3: SIMD16<Float>, _ d4: SIMD16<Float>, _ d5: SIMD16<Float>
    ) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let two = SIMD16<Float>(repeating: 2), three = SIMD16<Float>(repeating: 3)
        let four = SIMD16<Float>(repeating: 4), five = SIMD16<Float>(repeating: 5)
        let v0 = two * (d0 + d4) - three * (d1 - d3) - four * d2
        let v1 = five * d2 - two * (d1 + d4) - d3
        let v2 = d2 + five * d3 + two * (d4 - d1)
        let v3 = two * (d1 - d3) + (d2 - d4)
        let v4 = (d1 - d3) + two * (d4 - d2)
        let v5 = two * (d1 + d5) - three * (d2 - d4) - four * d3
        return (v0, v1, v2, v3, v4, v5)
    }

    /// `A^T · m`: the output transform (6 values to 4).
    @inline(__always)
    static func outputTransform(
        _ m0: SIMD16<Float>, _ m1: SIMD16<Float>, _ m2: SIMD16<Float>, _ m3: SIMD16<Float>, _ m4: SIMD16<Float>, _ m5: SIMD16<Float>
    ) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let sum12 = m1 + m2, diff21 = m2 - m1
        let y0 = m0 + sum12 + m3 + m4
        typealias V = SIMD16<Float>
        var y1: V = diff21 + V(repeating: 0.5) * m3
        y1 -= V(repeating: 2) * m4
        var y2: V = sum12 + V(repeating: 0.25) * m3
        y2 += V(repeating: 4) * m4
        var y3: V = diff21 + V(repeating: 0.125) * m3
        y3 -= V(repeating: 8) * m4
        y3 += m5
        return (y0, y1, y2, y3)
    }
}

/// Where `TileLayout.transformInput` writes a plane's transformed tiles: element e of the
/// 16 consecutive tiles from t on, `lanes` of them valid.
enum TileSink {
    /// Tile t of element e at `base[e * elementStride + t]`; a store writes all 16 lanes (the
    /// buffer has 16 floats of slack past the last tile, and later tiles overwrite the rest).
    case plain(UnsafeMutablePointer<Float>, elementStride: Int)
    /// Row `row` of the GEMM's packed B panels (16 columns wide, `depth` rows): tile t of element
    /// e at `base[e * elementStride + (t / 16) * 16 * depth + row * 16 + t % 16]`; only valid
    /// lanes are written.
    case packed(UnsafeMutablePointer<Float>, elementStride: Int, depth: Int, row: Int)

    @inline(__always)
    func store(_ v: SIMD16<Float>, element e: Int, tile t: Int, lanes: Int) {
        switch self {
        case let .plain(base, elementStride):
            storeVector(v, base + e * elementStride + t)
        case let .packed(base, elementStride, depth, row):
            let dst = base + e * elementStride + row * 16
            if t & 15 == 0, lanes == 16 {
                storeVector(v, dst + (t >> 4) * 16 * depth)
                return
            }
            for lane in 0..<lanes {
                let tile = t + lane
                dst[(tile >> 4) * 16 * depth + (tile & 15)] = v[lane]
            }
        }
    }

    /// Zeroes tiles `range` (the padding up to whole 16-wide panels) of every element.
    func zero(tiles range: Range<Int>) {
        guard !range.isEmpty else { return }
        for e in 0..<Winograd.elements {
            switch self {
            case let .plain(base, elementStride):
                (base + e * elementStride + range.lowerBound).update(repeating: 0, count: range.count)
            case let .packed(base, elementStride, depth, row):
                let dst = base + e * elementStride + row * 16
                for tile in range { dst[(tile >> 4) * 16 * depth + (tile & 15)] = 0 }
            }
        }
    }
}

/// Stores six vectors (a transform's results) at `p + k * stride`, k = 0..<6.
@inline(__always)
func storeSix(
    _ v: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>),
    _ p: UnsafeMutablePointer<Float>, stride: Int
) {
    storeVector(v.0, p)
    storeVector(v.1, p + stride)
    storeVector(v.2, p + 2 * stride)
    storeVector(v.3, p + 3 * stride)
    storeVector(v.4, p + 4 * stride)
    storeVector(v.5, p + 5 * stride)
}

/// The tile grid of one Winograd convolution and the per-plane transforms over it.
struct TileLayout: Sendable {
    let geometry: ConvGeometry
    let tilesHigh: Int
    let tilesWide: Int
    /// Tile rows per chunk.
    let chunkRows: Int
    /// Floats per phase row: tile columns rounded up to 16, plus 16 for the shifted loads.
    let phaseLength: Int
    /// Floats between elements in a plane's transformed-tile buffer.
    let tileStride: Int

    init(_ g: ConvGeometry) {
        geometry = g
        tilesHigh = (g.outHeight + Winograd.tileSize - 1) / Winograd.tileSize
        tilesWide = (g.outWidth + Winograd.tileSize - 1) / Winograd.tileSize
        // Balanced chunks of whole tile rows, at most `chunkTiles` tiles each when possible.
        let perChunk = Swift.max(1, Winograd.chunkTiles / tilesWide)
        let count = (tilesHigh + perChunk - 1) / perChunk
        chunkRows = (tilesHigh + count - 1) / count
        phaseLength = (tilesWide + 15) / 16 * 16 + 16
        tileStride = chunkRows * tilesWide + 32
    }

    /// Tile-row ranges of the chunks.
    var chunks: [Range<Int>] {
        stride(from: 0, to: tilesHigh, by: chunkRows).map { $0 ..< Swift.min(tilesHigh, $0 + chunkRows) }
    }

    /// GEMM columns of a chunk: its tiles rounded up to whole 16-wide panels.
    func columns(_ chunk: Range<Int>) -> Int { (chunk.count * tilesWide + GEMM.nr - 1) / GEMM.nr * GEMM.nr }

    var maxColumns: Int { columns(0..<chunkRows) }

    /// Rows of the phase-split plane a chunk reads.
    var phaseRows: Int { chunkRows * Winograd.tileSize + 2 }

    /// Runs `body` with a task's scratch: the phase-split plane and the transformed-tile buffer.
    func withPlaneScratch(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let phaseCount = (phaseRows + 6) * 4 * phaseLength
        ScratchPool.with(count: phaseCount + Winograd.elements * tileStride) { scratch in
            body(scratch, scratch + phaseCount)
        }
    }

    /// Transforms the tiles of `chunk` of one plane (`height x width`, zero padding) into `sink`
    /// (element e, tile t: the tile's index inside the chunk, row-major); the entries from the
    /// chunk's last tile up to its padded column count are zero.
    ///
    /// The plane is first split by column phase (column x to `phases[row][x % 4][x / 4]`), so a
    /// tile's six columns 4tx..4tx+5 are phase 0-3 at tx and phase 0-1 at tx+1: the transforms
    /// then run 16 tiles at a time on contiguous vector loads.
    func transformInput(
        _ plane: UnsafeMutablePointer<Float>, chunk: Range<Int>, phases: UnsafeMutablePointer<Float>, into sink: TileSink
    ) {
        let g = geometry
        let rowStride = 4 * phaseLength
        let firstRow = chunk.lowerBound * Winograd.tileSize
        let rowCount = chunk.count * Winograd.tileSize + 2
        for row in 0..<rowCount {
            let dst = phases + row * rowStride
            dst.update(repeating: 0, count: rowStride)
            let ih = firstRow + row - g.padding
            guard ih >= 0, ih < g.height else { continue }
            let src = plane + ih * g.width
            for iw in 0..<g.width {
                let x = iw + g.padding
                dst[(x & 3) * phaseLength + (x >> 2)] = src[iw]
            }
        }
        // Row transform, per chunk tile row: R[i][m][u] = sum_k B^T[i][k] phases[4 ty + k][m][u].
        let rowTransform = phases + rowCount * rowStride
        for ty in 0..<chunk.count {
            let top = phases + ty * Winograd.tileSize * rowStride
            var u = 0
            while u < rowStride {
                let d0 = loadVector(top + u), d1 = loadVector(top + rowStride + u)
                let d2 = loadVector(top + 2 * rowStride + u), d3 = loadVector(top + 3 * rowStride + u)
                let d4 = loadVector(top + 4 * rowStride + u), d5 = loadVector(top + 5 * rowStride + u)
                let v = Winograd.inputTransform(d0, d1, d2, d3, d4, d5)
                storeSix(v, rowTransform + u, stride: rowStride)
                u += 16
            }
            // Column transform, 16 tiles at a time.
            var tx = 0
            while tx < tilesWide {
                let t = ty * tilesWide + tx, lanes = Swift.min(16, tilesWide - tx)
                for i in 0..<6 {
                    let r = rowTransform + i * rowStride + tx
                    let v = Winograd.inputTransform(
                        loadVector(r), loadVector(r + phaseLength), loadVector(r + 2 * phaseLength),
                        loadVector(r + 3 * phaseLength), loadVector(r + 1), loadVector(r + phaseLength + 1))
                    sink.store(v.0, element: i * 6, tile: t, lanes: lanes)
                    sink.store(v.1, element: i * 6 + 1, tile: t, lanes: lanes)
                    sink.store(v.2, element: i * 6 + 2, tile: t, lanes: lanes)
                    sink.store(v.3, element: i * 6 + 3, tile: t, lanes: lanes)
                    sink.store(v.4, element: i * 6 + 4, tile: t, lanes: lanes)
                    sink.store(v.5, element: i * 6 + 5, tile: t, lanes: lanes)
                }
                tx += 16
            }
        }
        sink.zero(tiles: chunk.count * tilesWide ..< columns(chunk))
    }

    /// Transforms the 4x4 tiles of `chunk` of one output-gradient plane (`outHeight x
    /// outWidth`, zero past its edges) by `A dY A^T` into `tiles[e * tileStride + t]`.
    /// Column phases as in `transformInput`: a tile's columns 4tx..4tx+3 are phases 0-3 at tx.
    func transformGradient(
        _ plane: UnsafeMutablePointer<Float>, chunk: Range<Int>, phases: UnsafeMutablePointer<Float>,
        into tiles: UnsafeMutablePointer<Float>
    ) {
        let g = geometry
        let rowStride = 4 * phaseLength
        let firstRow = chunk.lowerBound * Winograd.tileSize
        let rowCount = chunk.count * Winograd.tileSize
        for row in 0..<rowCount {
            let dst = phases + row * rowStride
            dst.update(repeating: 0, count: rowStride)
            let oh = firstRow + row
            guard oh < g.outHeight else { continue }
            let src = plane + oh * g.outWidth
            for x in 0..<g.outWidth { dst[(x & 3) * phaseLength + (x >> 2)] = src[x] }
        }
        let columnTransform = phases + rowCount * rowStride
        for ty in 0..<chunk.count {
            let top = phases + ty * Winograd.tileSize * rowStride
            var tx = 0
            while tx < tilesWide {
                // Vertical: z[i][m] = (A over the tile's 4 rows of phase m)[i], at columnTransform[i * 4 + m].
                for m in 0..<4 {
                    let r = top + m * phaseLength + tx
                    let z = Winograd.gradientTransform(
                        loadVector(r), loadVector(r + rowStride), loadVector(r + 2 * rowStride), loadVector(r + 3 * rowStride))
                    storeSix(z, columnTransform + m * 16, stride: 4 * 16)
                }
                let out = tiles + ty * tilesWide + tx
                for i in 0..<6 {
                    let r = columnTransform + i * 4 * 16
                    let v = Winograd.gradientTransform(loadVector(r), loadVector(r + 16), loadVector(r + 32), loadVector(r + 48))
                    let e = out + i * 6 * tileStride
                    storeSix(v, e, stride: tileStride)
                }
                tx += 16
            }
        }
    }

    /// Output transform of one output channel over `chunk`: `m[e * elementStride + t]` holds the
    /// channel's 36 GEMM results of chunk tile t; writes `A^T m A + bias` into the plane `out`
    /// (`outHeight x outWidth`), cutting the last tiles at the plane's edges.
    func transformOutput(
        _ m: UnsafeMutablePointer<Float>, elementStride: Int, chunk: Range<Int>, bias: Float, into out: UnsafeMutablePointer<Float>
    ) {
        let g = geometry
        let biasVector = SIMD16<Float>(repeating: bias)
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 40) { buffer in
            guard let s = buffer.baseAddress else { return }
            for ty in 0..<chunk.count {
                var tx = 0
                while tx < tilesWide {
                    let src = m + ty * tilesWide + tx
                    // Rows: s[i * 4 + b] = (A^T over j of row i)[b].
                    for i in 0..<6 {
                        let r = src + i * 6 * elementStride
                        let y = Winograd.outputTransform(
                            loadVector(r), loadVector(r + elementStride), loadVector(r + 2 * elementStride),
                            loadVector(r + 3 * elementStride), loadVector(r + 4 * elementStride), loadVector(r + 5 * elementStride))
                        s[i * 4] = y.0
                        s[i * 4 + 1] = y.1
                        s[i * 4 + 2] = y.2
                        s[i * 4 + 3] = y.3
                    }
                    // Columns: Y[a][b] = (A^T over i of column b)[a], at s[24 + a * 4 + b].
                    for b in 0..<4 {
                        let y = Winograd.outputTransform(s[b], s[4 + b], s[8 + b], s[12 + b], s[16 + b], s[20 + b])
                        s[24 + b] = y.0 + biasVector
                        s[28 + b] = y.1 + biasVector
                        s[32 + b] = y.2 + biasVector
                        s[36 + b] = y.3 + biasVector
                    }
                    let lanes = Swift.min(16, tilesWide - tx)
                    let oh0 = (chunk.lowerBound + ty) * Winograd.tileSize
                    for a in 0..<Swift.min(4, g.outHeight - oh0) {
                        let row = out + (oh0 + a) * g.outWidth
                        let y = s + 24 + a * 4
                        for lane in 0..<lanes {
                            let ow0 = (tx + lane) * Winograd.tileSize
                            if ow0 + 4 <= g.outWidth {
                                row[ow0] = y[0][lane]
                                row[ow0 + 1] = y[1][lane]
                                row[ow0 + 2] = y[2][lane]
                                row[ow0 + 3] = y[3][lane]
                            } else {
                                for b in 0..<(g.outWidth - ow0) { row[ow0 + b] = y[b][lane] }
                            }
                        }
                    }
                    tx += 16
                }
            }
        }
    }
}

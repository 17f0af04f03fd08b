/// Convolutions with stride s > 1 as stride-1 GEMMs over stride phases, so that neither operand
/// is gathered with a stride and no col2im scatters into the input grad.
///
/// - Forward: x `[C, H, W]` is split into its s x s phases `[C, s, s, ceil(H/s), ceil(W/s)]`
///   (phase (a, b) holds `x[c, m*s + a, k*s + b]`, zero past the edge). Tap `(kh, kw)` reads
///   phase `((kh - p) mod s, (kw - p) mod s)` shifted by `floor((kh - p) / s)` rows and
///   `floor((kw - p) / s)` columns, so the im2col rows are contiguous runs
///   (`ShiftedIm2ColMatrix`); the weight is used as it is.
/// - Input grad: the output phase `(a, b)` of dx (`dx[c, q*s + a, r*s + b]`) only receives the
///   taps with `kh ≡ a + p`, `kw ≡ b + p (mod s)`, and is a stride-1 correlation of dy with them:
///   `dx_ab[c, q, r] = sum_{o, kh, kw} w[o, c, kh, kw] * dy[o, q + (a + p - kh)/s, r + (b + p - kw)/s]`.
///   One GEMM per phase (`C x (O * taps)`, read from the weight through `KernelTapsMatrix`, times
///   a shifted im2col of dy) into a phase buffer,
///   then the phases are interleaved into dx.
///
/// Like the plain GEMM path, the sums never split over threads: results do not depend on the
/// thread count.
enum StridedConv {
    /// The rows and columns of one stride-phase plane of a `height x width` image.
    static func phasePlane(_ g: ConvGeometry) -> (height: Int, width: Int) {
        ((g.height + g.stride - 1) / g.stride, (g.width + g.stride - 1) / g.stride)
    }

    /// Floats of one sample's phase-split input.
    static func splitSize(_ g: ConvGeometry) -> Int {
        let (hs, ws) = phasePlane(g)
        return g.channels * g.stride * g.stride * hs * ws
    }

    /// Splits one sample x `[C, H, W]` into `[C, s, s, Hs, Ws]` (see the type's doc), zero past
    /// the image. Channels run in parallel on the pool.
    static func splitPhases(_ g: ConvGeometry, x: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let s = g.stride
        let (hs, ws) = phasePlane(g)
        let planeSize = hs * ws
        let xs = SharedPointer(x), outs = SharedPointer(out)
        let height = g.height, width = g.width
        // Tasks: (channel, row phase), so an RGB input still splits evenly over the threads.
        pool.parallelFor(g.channels * s) { task in
            let c = task / s, a = task % s
            let source = xs.base + c * height * width
            let phases = outs.base + c * s * s * planeSize
            do {
                for m in 0..<hs {
                    let ih = m * s + a
                    if ih >= height {
                        for b in 0..<s { (phases + (a * s + b) * planeSize + m * ws).update(repeating: 0, count: ws) }
                        continue
                    }
                    let row = source + ih * width
                    if s == 2 {
                        deinterleave(row, count: width, even: phases + (2 * a) * planeSize + m * ws, odd: phases + (2 * a + 1) * planeSize + m * ws, half: ws)
                    } else {
                        for b in 0..<s {
                            let dst = phases + (a * s + b) * planeSize + m * ws
                            for k in 0..<ws {
                                let iw = k * s + b
                                dst[k] = iw < width ? row[iw] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// `even[k] = row[2k]`, `odd[k] = row[2k + 1]` for `k < half` (0 past `count`).
    @inline(__always)
    static func deinterleave(_ row: UnsafeMutablePointer<Float>, count: Int, even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>, half: Int) {
        var k = 0
        while 2 * k + 32 <= count {
            let v = UnsafeRawPointer(row + 2 * k).loadUnaligned(as: SIMD32<Float>.self)
            storeVector(v.evenHalf, even + k)
            storeVector(v.oddHalf, odd + k)
            k += 16
        }
        while k < half {
            even[k] = 2 * k < count ? row[2 * k] : 0
            odd[k] = 2 * k + 1 < count ? row[2 * k + 1] : 0
            k += 1
        }
    }

    /// The forward im2col of a phase-split sample (`splitPhases`) as a stride-1 source.
    static func forwardSource(_ g: ConvGeometry, split: UnsafeMutablePointer<Float>) -> ShiftedIm2ColMatrix {
        let s = g.stride
        let (hs, ws) = phasePlane(g)
        let planeSize = hs * ws
        func phase(_ k: Int) -> (index: Int, shift: Int) {
            let a = ((k - g.padding) % s + s) % s
            return (a, (k - g.padding - a) / s)
        }
        let rows = (0..<g.kernelHeight).map(phase), columns = (0..<g.kernelWidth).map(phase)
        return ShiftedIm2ColMatrix(
            image: split, channelStride: s * s * planeSize, height: hs, width: ws,
            outHeight: g.outHeight, outWidth: g.outWidth,
            offsetH: rows.map { $0.index * s * planeSize }, shiftH: rows.map(\.shift),
            offsetW: columns.map { $0.index * planeSize }, shiftW: columns.map(\.shift))
    }

    /// `y = conv(x, w) + bias` for `g.stride > 1`; y overwritten. One sample at a time, so the
    /// phase-split copy needs one sample's scratch whatever the batch.
    static func forward(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
        bias: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>
    ) {
        let pool = ThreadPool.shared
        ScratchPool.with(count: splitSize(g)) { split in
            let w = DenseMatrix(base: weight, rowStride: g.patch, columnStride: 1)
            let start: GEMM.Start = bias.map { .rows(SharedPointer($0)) } ?? .zero
            let source = forwardSource(g, split: split)
            for n in 0..<g.batch {
                splitPhases(g, x: x + n * g.inputSize, into: split, pool: pool)
                let out = SharedPointer(y + n * g.outputSize)
                GEMM.multiplyBatched(
                    batch: 1, m: g.outChannels, n: g.pixels, k: g.patch, a: { _ in w }, b: { _ in source },
                    c: { _ in out.base }, ldc: g.pixels, start: { _ in start }, pool: pool)
            }
        }
    }

    /// One axis of an input-grad phase `a`: its taps `k = first + t*s` (`t < taps`), the number
    /// of positions `count` (input rows `q*s + a < size`), and tap t's shift into dy.
    struct PhaseAxis {
        var first: Int
        var taps: Int
        var count: Int
        var shifts: [Int]

        init(phase a: Int, stride s: Int, padding p: Int, kernel: Int, size: Int) {
            first = (a + p) % s
            taps = first < kernel ? (kernel - first + s - 1) / s : 0
            count = a < size ? (size - a + s - 1) / s : 0
            let start = first
            shifts = (0..<taps).map { t in (a + p - (start + t * s)) / s }
        }
    }

    /// Whether the input grad of `g` goes through the phases: stride > 1 and enough input channels.
    /// The phase GEMMs pack `O * KH * KW` values per input pixel and spend `2 * C` flops on each,
    /// while GEMM + col2im packs `O` and scatters `C * KH * KW`; with few input channels (an RGB
    /// input, e.g. the discriminator's first layer) the packing outweighs the scatter.
    static func phasesForInputGrad(_ g: ConvGeometry) -> Bool {
        g.stride > 1 && g.channels >= 16
    }

    /// `dx = conv^T(dy, w)` for `g.stride > 1`; dx `[N, C, H, W]` overwritten.
    static func backwardData(
        _ g: ConvGeometry, dy: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>
    ) {
        let s = g.stride
        let pool = ThreadPool.shared
        let rows = (0..<s).map { PhaseAxis(phase: $0, stride: s, padding: g.padding, kernel: g.kernelHeight, size: g.height) }
        let columns = (0..<s).map { PhaseAxis(phase: $0, stride: s, padding: g.padding, kernel: g.kernelWidth, size: g.width) }
        // Per phase (a, b): where its dx values live in the scratch buffer, and the kernel taps
        // that reach it as offsets inside one kernel (its weight: [C, O * taps], element
        // (c, (o, t, u)) = w[o, c, kh(t), kw(u)]).
        var valueOffsets: [Int] = [], phaseTaps: [[Int]] = []
        var valueTotal = 0
        for a in 0..<s {
            for b in 0..<s {
                valueOffsets.append(valueTotal)
                valueTotal += g.channels * rows[a].count * columns[b].count
                phaseTaps.append((0..<rows[a].taps).flatMap { t in
                    (0..<columns[b].taps).map { u in (rows[a].first + t * s) * g.kernelWidth + columns[b].first + u * s }
                })
            }
        }
        ScratchPool.with(count: Swift.max(valueTotal, 1)) { values in
            for n in 0..<g.batch {
                let image = dy + n * g.outputSize
                for a in 0..<s {
                    for b in 0..<s {
                        let (ra, cb) = (rows[a], columns[b])
                        let out = values + valueOffsets[a * s + b]
                        let pixels = ra.count * cb.count
                        guard pixels > 0 else { continue }
                        let k = g.outChannels * ra.taps * cb.taps
                        if k == 0 {
                            out.update(repeating: 0, count: g.channels * pixels)
                            continue
                        }
                        let source = ShiftedIm2ColMatrix(
                            image: image, channelStride: g.outHeight * g.outWidth, height: g.outHeight, width: g.outWidth,
                            outHeight: ra.count, outWidth: cb.count,
                            offsetH: [Int](repeating: 0, count: ra.taps), shiftH: ra.shifts,
                            offsetW: [Int](repeating: 0, count: cb.taps), shiftW: cb.shifts)
                        GEMM.multiply(
                            m: g.channels, n: pixels, k: k,
                            a: KernelTapsMatrix(weight: weight, channels: g.channels, area: g.kernelHeight * g.kernelWidth, taps: phaseTaps[a * s + b]),
                            b: source, c: out, ldc: pixels, accumulate: false, pool: pool)
                    }
                }
                interleave(g, rows: rows, columns: columns, offsets: valueOffsets, values: values, into: dx + n * g.inputSize, pool: pool)
            }
        }
    }

    /// `e[0], o[0], e[1], o[1], ...` (the inverse of `evenHalf` / `oddHalf`).
    @inline(__always)
    static func pairs(_ e: SIMD8<Float>, _ o: SIMD8<Float>) -> SIMD16<Float> {
        SIMD16(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3], e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7])
    }

    /// Writes the phase planes (`values + offsets[a*s + b]`, `[C, rows[a].count, columns[b].count]`)
    /// into one sample's dx `[C, H, W]`: `dx[c, q*s + a, r*s + b] = phase_ab[c, q, r]`.
    static func interleave(
        _ g: ConvGeometry, rows: [PhaseAxis], columns: [PhaseAxis], offsets: [Int],
        values: UnsafeMutablePointer<Float>, into dx: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        let s = g.stride, height = g.height, width = g.width
        let vs = SharedPointer(values), dxs = SharedPointer(dx)
        pool.parallelFor(g.channels) { c in
            for ih in 0..<height {
                let a = ih % s, q = ih / s
                let out = dxs.base + (c * height + ih) * width
                if s == 2 {
                    let (c0, c1) = (columns[0].count, columns[1].count)
                    let even = vs.base + offsets[2 * a] + (c * rows[a].count + q) * c0
                    let odd = vs.base + offsets[2 * a + 1] + (c * rows[a].count + q) * c1
                    var r = 0
                    while r + 8 <= c1 {
                        let e = UnsafeRawPointer(even + r).loadUnaligned(as: SIMD8<Float>.self)
                        let o = UnsafeRawPointer(odd + r).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(out + 2 * r).storeBytes(of: pairs(e, o), as: SIMD16<Float>.self)
                        r += 8
                    }
                    while r < c1 {
                        out[2 * r] = even[r]
                        out[2 * r + 1] = odd[r]
                        r += 1
                    }
                    if c0 > c1 { out[2 * c1] = even[c1] }
                } else {
                    for b in 0..<s {
                        let count = columns[b].count
                        let src = vs.base + offsets[a * s + b] + (c * rows[a].count + q) * count
                        for r in 0..<count { out[r * s + b] = src[r] }
                    }
                }
            }
        }
    }
}

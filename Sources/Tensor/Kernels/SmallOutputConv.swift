/// Stride-1 convolutions with at most three output channels (CycleGAN's RGB output layer and the
/// discriminator's 1-channel head). As GEMMs their M dimension is tiny, so packing the im2col
/// operand would cost more than the few multiply-adds per element it feeds. These kernels read a
/// zero-padded copy of the input in place instead: SIMD8 vectors along output rows, 12
/// accumulators per register tile, blocked so the rows they reuse stay in L1/L2.
enum SmallOutputConv {
    static let maxOutputs = 3

    static func applies(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && g.outChannels <= maxOutputs
    }

    /// A register tile shape as a type, so every kernel is specialised with constant sizes.
    /// Forward: `outputs x vectors` accumulators (channel, 8-pixel vector). Weight gradient:
    /// `outputs x columns x weightVectors` (channel, kernel column, 8-pixel vector). Both at most 12
    /// (the kernels have 12 accumulator variables).
    protocol Tile {
        static var outputs: Int { get }
        static var vectors: Int { get }
        static var columns: Int { get }
        static var weightVectors: Int { get }
        /// The tile for the weight gradient's last kernel columns when `columns` does not divide
        /// the kernel width (`Self`: compute whole tiles and drop the spare columns).
        associatedtype Tail: Tile
    }
    // Register budget (16 AVX2 registers): accumulators + weights/gradients + reused inputs <= 15,
    // or the compiler spills an accumulator and the loop runs at half speed.
    enum Wide1: Tile {
        typealias Tail = Wide1
        static var outputs: Int { 1 }; static var vectors: Int { 12 }; static var columns: Int { 4 }; static var weightVectors: Int { 3 }
    }
    enum Narrow1: Tile {
        typealias Tail = Narrow1
        static var outputs: Int { 1 }; static var vectors: Int { 3 }; static var columns: Int { 4 }; static var weightVectors: Int { 3 }
    }
    enum Wide2: Tile {
        typealias Tail = Wide2
        static var outputs: Int { 2 }; static var vectors: Int { 4 }; static var columns: Int { 2 }; static var weightVectors: Int { 2 }
    }
    enum Narrow2: Tile {
        typealias Tail = Narrow2
        static var outputs: Int { 2 }; static var vectors: Int { 2 }; static var columns: Int { 2 }; static var weightVectors: Int { 2 }
    }
    // Three outputs, forward: 12 accumulators + 3 weights + 1 input = 16 (no spills there);
    // 32-pixel tiles, so 256-wide unpadded layers read x in place. Weight gradient: 3 columns
    // (9 accumulators; 12 spill), the last KW % 3 columns one at a time over 4 vectors.
    enum Three: Tile {
        typealias Tail = ThreeTail
        static var outputs: Int { 3 }; static var vectors: Int { 4 }; static var columns: Int { 3 }; static var weightVectors: Int { 1 }
    }
    /// The weight gradient's last kernel columns of `Three` (7 = 3 + 3 + 1): 3 x 4 accumulators.
    enum ThreeTail: Tile {
        typealias Tail = ThreeTail
        static var outputs: Int { 3 }; static var vectors: Int { 4 }; static var columns: Int { 1 }; static var weightVectors: Int { 4 }
    }

    /// The tile types by name, so kernels can switch to a concrete (specialised) type.
    enum TileKind: Sendable {
        case wide1, narrow1, wide2, narrow2, three

        /// The tile fitting `g` (narrow tiles for rows of 32 pixels or less).
        init(_ g: ConvGeometry) {
            let narrow = g.outWidth <= 32
            switch g.outChannels {
            case 1: self = narrow ? .narrow1 : .wide1
            case 2: self = narrow ? .narrow2 : .wide2
            default: self = .three
            }
        }

        var type: any Tile.Type {
            switch self {
            case .wide1: Wide1.self
            case .narrow1: Narrow1.self
            case .wide2: Wide2.self
            case .narrow2: Narrow2.self
            case .three: Three.self
            }
        }
    }

    /// Runs `body` with the tile fitting `g`.
    static func withTile(_ g: ConvGeometry, _ body: (TileKind) -> Void) {
        body(TileKind(g))
    }

    /// `[a, b, c][min(i / per, 2)]`, constant-folded in the kernels.
    @inline(__always)
    static func select(_ i: Int, _ per: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
        i / per == 0 ? a : (i / per == 1 ? b : c)
    }

    /// Layout of the zero-padded input copy `[N, C, height, width]`: every tile, including the
    /// partial last one and spare kernel columns, reads inside it.
    struct PaddedLayout {
        let height: Int
        let width: Int
        /// Row width of the (zero-extended) forward output and dy.
        let rowWidth: Int
        /// True when x itself has this layout (no padding, rows exactly as wide as the tiles
        /// read), so the pass needs no copy.
        let isInput: Bool
        /// `exactColumns`: the pass reads no kernel column past the kernel (the forward pass, or a
        /// weight gradient whose tiles cover the kernel width exactly), so x may serve in place.
        init(_ g: ConvGeometry, tile: any Tile.Type, exactColumns: Bool) {
            // A multiple of both tile widths.
            var a = tile.vectors, b = tile.weightVectors
            while b != 0 { (a, b) = (b, a % b) }
            let step = 8 * tile.vectors * tile.weightVectors / a
            rowWidth = (g.outWidth + step - 1) / step * step
            if exactColumns && g.padding == 0 && rowWidth == g.outWidth {
                // Tiles read columns up to rowWidth + KW - 2 = W - 1: x as it is.
                height = g.height
                width = g.width
                isInput = true
            } else {
                height = g.height + 2 * g.padding
                width = rowWidth + g.kernelWidth + tile.columns
                isInput = false
            }
        }
        var plane: Int { height * width }
    }

    /// `count` rounded up to whole 64-byte lines (keeps scratch sub-buffers SIMD-aligned).
    static func aligned(_ count: Int) -> Int { (count + 15) / 16 * 16 }

    /// Copies x into the padded layout.
    static func pad(_ g: ConvGeometry, x: UnsafeMutablePointer<Float>, layout: PaddedLayout, into dst: UnsafeMutablePointer<Float>) {
        let src = SharedPointer(x), out = SharedPointer(dst)
        ThreadPool.shared.parallelFor(g.batch * g.channels) { plane in
            let to = out.base + plane * layout.plane
            to.update(repeating: 0, count: layout.plane)
            let from = src.base + plane * g.height * g.width
            for row in 0..<g.height {
                (to + (row + g.padding) * layout.width + g.padding).update(from: from + row * g.width, count: g.width)
            }
        }
    }

    // MARK: Forward

    /// `y = conv(x, w) + bias` for `applies(g)`.
    static func forward(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
        bias: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>
    ) {
        if SingleOutputConv.applies(g) {
            SingleOutputConv.forward(g, x: x, weight: weight, bias: bias, y: y)
            return
        }
        withTile(g) { tile in
            let layout = PaddedLayout(g, tile: tile.type, exactColumns: true)
            let outputs = g.outChannels
            let rowSums = outputs * layout.rowWidth
            let inputCount = layout.isInput ? 0 : aligned(g.batch * g.channels * layout.plane)
            ScratchPool.with(count: inputCount + aligned(g.weightCount) + g.batch * g.outHeight * rowSums) { scratch in
                if !layout.isInput { pad(g, x: x, layout: layout, into: scratch) }
                // Weights interleaved by output channel: wt[k * O + o], k = (c, kh, kw).
                let wt = scratch + inputCount
                // Per-row partial sums (SIMD8-aligned: the scratch base is 64-byte aligned).
                let sums = SharedPointer(wt + aligned(g.weightCount))
                for o in 0..<outputs {
                    for k in 0..<g.patch { wt[k * outputs + o] = weight[o * g.patch + k] }
                }
                var biasValues: [Float] = [0, 0, 0]
                if let bias { for o in 0..<outputs { biasValues[o] = bias[o] } }
                let fixedBias = (biasValues[0], biasValues[1], biasValues[2])
                let padded = SharedPointer(layout.isInput ? x : scratch), weights = SharedPointer(wt), out = SharedPointer(y)
                let rowCount = g.batch * g.outHeight
                let groups = (rowCount + forwardRowGroup - 1) / forwardRowGroup
                ThreadPool.shared.parallelFor(groups) { group in
                    let rows = (group * forwardRowGroup)..<Swift.min(rowCount, (group + 1) * forwardRowGroup)
                    // Concrete tile types, so each call is a specialised kernel.
                    func run<T: Tile>(_ t: T.Type) {
                        forwardRows(t, g, layout, rows: rows, x: padded.base, wt: weights.base, bias: fixedBias, y: out.base,
                                    partials: sums.base, rowSums: rowSums)
                    }
                    switch tile {
                    case .wide1: run(Wide1.self)
                    case .narrow1: run(Narrow1.self)
                    case .wide2: run(Wide2.self)
                    case .narrow2: run(Narrow2.self)
                    case .three: run(Three.self)
                    }
                }
            }
        }
    }

    /// Output rows per forward task. A task sweeps each channel block over all its rows before
    /// the next block, so the block's input rows, shared by neighbouring output rows, are read
    /// from L1/L2 (one row per task read every input row KH times from memory: c7s1-3 at 256x256
    /// moved 120 MB per pass and stopped scaling at 2 threads). Every row sums in the same order
    /// whatever the grouping.
    static let forwardRowGroup = 4

    static func forwardRows<T: Tile>(
        _: T.Type, _ g: ConvGeometry, _ layout: PaddedLayout, rows: Range<Int>,
        x: UnsafeMutablePointer<Float>, wt: UnsafeMutablePointer<Float>, bias: (Float, Float, Float),
        y: UnsafeMutablePointer<Float>, partials: UnsafeMutablePointer<Float>, rowSums: Int
    ) {
        let o = T.outputs, v = T.vectors
        let tile = 8 * v
        // Channels per block: the block's input rows (KH per channel) stay in L1 while a row of
        // tiles sweeps them (with 96 KB blocks, L2: 3-output forward at 50% instead of 70% of GEMM).
        let block = Swift.max(1, (24 * 1024) / (g.kernelHeight * layout.width * 4))
        @inline(__always) func partialVectors(_ row: Int) -> UnsafeMutablePointer<SIMD8<Float>> {
            UnsafeMutableRawPointer(partials + row * rowSums).bindMemory(to: SIMD8<Float>.self, capacity: o * layout.rowWidth / 8)
        }
        // The bias is added once to the finished sums (as PyTorch does), not summed along.
        for row in rows {
            let partial = partialVectors(row)
            for i in 0..<(o * layout.rowWidth / 8) { partial[i] = .zero }
        }
        var c0 = 0
        while c0 < g.channels {
            let c1 = Swift.min(g.channels, c0 + block)
            for row in rows {
                let n = row / g.outHeight, oh = row - n * g.outHeight
                let sample = x + n * g.channels * layout.plane
                let partial = partialVectors(row)
                var ow0 = 0
                while ow0 < layout.rowWidth {
                    // Accumulator i: output channel i / v, pixels ow0 + 8 * (i % v) ..< +8.
                    @inline(__always) func slot(_ i: Int) -> Int { (i / v) * (layout.rowWidth / 8) + ow0 / 8 + i % v }
                    var a0 = partial[slot(0)], a1 = 1 < o * v ? partial[slot(1)] : .zero
                    var a2 = 2 < o * v ? partial[slot(2)] : .zero, a3 = 3 < o * v ? partial[slot(3)] : .zero
                    var a4 = 4 < o * v ? partial[slot(4)] : .zero, a5 = 5 < o * v ? partial[slot(5)] : .zero
                    var a6 = 6 < o * v ? partial[slot(6)] : .zero, a7 = 7 < o * v ? partial[slot(7)] : .zero
                    var a8 = 8 < o * v ? partial[slot(8)] : .zero, a9 = 9 < o * v ? partial[slot(9)] : .zero
                    var a10 = 10 < o * v ? partial[slot(10)] : .zero, a11 = 11 < o * v ? partial[slot(11)] : .zero
                    // The kernel width as a constant where it is CycleGAN's 7 (the loop unrolls).
                    @inline(__always) func sweep(_ kernelWidth: Int) {
                        for c in c0..<c1 {
                            for kh in 0..<g.kernelHeight {
                                let src = sample + (c * layout.height + oh + kh) * layout.width + ow0
                                let weights = wt + (c * g.kernelHeight + kh) * kernelWidth * o
                                for kw in 0..<kernelWidth {
                                    let p = src + kw
                                    let w = weights + kw * o
                                    let w0 = SIMD8<Float>(repeating: w[0])
                                    let w1 = o > 1 ? SIMD8<Float>(repeating: w[1]) : w0
                                    let w2 = o > 2 ? SIMD8<Float>(repeating: w[2]) : w0
                                    a0 = a0.addingProduct(w0, load8(p))
                                    if 1 < o * v { a1 = a1.addingProduct(select(1, v, w0, w1, w2), load8(p + 8 * (1 % v))) }
                                    if 2 < o * v { a2 = a2.addingProduct(select(2, v, w0, w1, w2), load8(p + 8 * (2 % v))) }
                                    if 3 < o * v { a3 = a3.addingProduct(select(3, v, w0, w1, w2), load8(p + 8 * (3 % v))) }
                                    if 4 < o * v { a4 = a4.addingProduct(select(4, v, w0, w1, w2), load8(p + 8 * (4 % v))) }
                                    if 5 < o * v { a5 = a5.addingProduct(select(5, v, w0, w1, w2), load8(p + 8 * (5 % v))) }
                                    if 6 < o * v { a6 = a6.addingProduct(select(6, v, w0, w1, w2), load8(p + 8 * (6 % v))) }
                                    if 7 < o * v { a7 = a7.addingProduct(select(7, v, w0, w1, w2), load8(p + 8 * (7 % v))) }
                                    if 8 < o * v { a8 = a8.addingProduct(select(8, v, w0, w1, w2), load8(p + 8 * (8 % v))) }
                                    if 9 < o * v { a9 = a9.addingProduct(select(9, v, w0, w1, w2), load8(p + 8 * (9 % v))) }
                                    if 10 < o * v { a10 = a10.addingProduct(select(10, v, w0, w1, w2), load8(p + 8 * (10 % v))) }
                                    if 11 < o * v { a11 = a11.addingProduct(select(11, v, w0, w1, w2), load8(p + 8 * (11 % v))) }
                                }
                            }
                        }
                    }
                    if g.kernelWidth == 7 { sweep(7) } else { sweep(g.kernelWidth) }
                    partial[slot(0)] = a0
                    if 1 < o * v { partial[slot(1)] = a1 }
                    if 2 < o * v { partial[slot(2)] = a2 }
                    if 3 < o * v { partial[slot(3)] = a3 }
                    if 4 < o * v { partial[slot(4)] = a4 }
                    if 5 < o * v { partial[slot(5)] = a5 }
                    if 6 < o * v { partial[slot(6)] = a6 }
                    if 7 < o * v { partial[slot(7)] = a7 }
                    if 8 < o * v { partial[slot(8)] = a8 }
                    if 9 < o * v { partial[slot(9)] = a9 }
                    if 10 < o * v { partial[slot(10)] = a10 }
                    if 11 < o * v { partial[slot(11)] = a11 }
                    ow0 += tile
                }
            }
            c0 = c1
        }
        for row in rows {
            let n = row / g.outHeight, oh = row - n * g.outHeight
            let values = UnsafeRawPointer(partials + row * rowSums).assumingMemoryBound(to: Float.self)
            for channel in 0..<o {
                let dst = y + ((n * g.outChannels + channel) * g.outHeight + oh) * g.outWidth
                let sums = values + channel * layout.rowWidth
                let value = channel == 0 ? bias.0 : (channel == 1 ? bias.1 : bias.2)
                for j in 0..<g.outWidth { dst[j] = sums[j] + value }
            }
        }
    }

    // MARK: Weight gradient

    /// Output rows per weight-gradient task (fixed, so sums do not depend on the thread count).
    static let rowsPerTask = 4

    /// `dW (+)= sum_n dy[n] * x[n]` (correlation) for `applies(g)`.
    static func backwardWeight(
        _ g: ConvGeometry, x: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        if SingleOutputConv.applies(g) {
            SingleOutputConv.backwardWeight(g, x: x, dy: dy, dWeight: dWeight, accumulate: accumulate)
            return
        }
        withTile(g) { tile in
            // Three's tail tile takes the last columns one at a time; other tiles round the
            // kernel width up to whole tiles (reading spare columns) unless they divide it.
            let exact = tile == .three || g.kernelWidth % tile.type.columns == 0
            // (c7s1-3 reads its 262x262 reflection-padded input in place: no 17.8 MB copy.)
            let layout = PaddedLayout(g, tile: tile.type, exactColumns: exact)
            let outputs = g.outChannels
            let dyWidth = layout.rowWidth
            let dyPlane = g.outHeight * dyWidth
            let blocksPerSample = (g.outHeight + rowsPerTask - 1) / rowsPerTask
            let tasks = g.batch * blocksPerSample
            let inputCount = layout.isInput ? 0 : aligned(g.batch * g.channels * layout.plane)
            ScratchPool.with(count: inputCount + g.batch * outputs * dyPlane + tasks * g.weightCount + 8) { scratch in
                if !layout.isInput { pad(g, x: x, layout: layout, into: scratch) }
                // dy with rows zero-extended to the tile width, so tails contribute nothing.
                let dyp = scratch + inputCount
                for plane in 0..<(g.batch * outputs) {
                    for row in 0..<g.outHeight {
                        let to = dyp + plane * dyPlane + row * dyWidth
                        to.update(from: dy + (plane * g.outHeight + row) * g.outWidth, count: g.outWidth)
                        (to + g.outWidth).update(repeating: 0, count: dyWidth - g.outWidth)
                    }
                }
                let partials = dyp + g.batch * outputs * dyPlane
                let padded = SharedPointer(layout.isInput ? x : scratch), gradients = SharedPointer(dyp), sums = SharedPointer(partials)
                ThreadPool.shared.parallelFor(tasks) { task in
                    let n = task / blocksPerSample
                    let first = (task - n * blocksPerSample) * rowsPerTask
                    let rows = first..<Swift.min(g.outHeight, first + rowsPerTask)
                    func run<T: Tile>(_ t: T.Type) {
                        // Whole tiles of T, then the remaining kernel columns with T.Tail.
                        let whole = T.Tail.self == T.self ? g.kernelWidth : g.kernelWidth / T.columns * T.columns
                        weightTask(t, g, layout, sample: n, rows: rows, columns: 0..<whole, x: padded.base, dy: gradients.base,
                                   dyWidth: dyWidth, into: sums.base + task * g.weightCount)
                        if whole < g.kernelWidth {
                            weightTask(T.Tail.self, g, layout, sample: n, rows: rows, columns: whole..<g.kernelWidth, x: padded.base,
                                       dy: gradients.base, dyWidth: dyWidth, into: sums.base + task * g.weightCount)
                        }
                    }
                    switch tile {
                    case .wide1: run(Wide1.self)
                    case .narrow1: run(Narrow1.self)
                    case .wide2: run(Wide2.self)
                    case .narrow2: run(Narrow2.self)
                    case .three: run(Three.self)
                    }
                }
                // Fixed-order reduction over the tasks.
                let out = SharedPointer(dWeight)
                Elementwise.forChunks(g.weightCount) { range in
                    for i in range {
                        var total: Float = accumulate ? out.base[i] : 0
                        for t in 0..<tasks { total += sums.base[t * g.weightCount + i] }
                        out.base[i] = total
                    }
                }
            }
        }
    }

    /// The contribution of output rows `rows` of sample `n` to every weight of kernel columns
    /// `columns`, written to `dw`.
    static func weightTask<T: Tile>(
        _: T.Type, _ g: ConvGeometry, _ layout: PaddedLayout, sample n: Int, rows: Range<Int>, columns: Range<Int>,
        x: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>, dyWidth: Int, into dw: UnsafeMutablePointer<Float>
    ) {
        let o = T.outputs, cols = T.columns, v = T.weightVectors
        let per = cols * v  // accumulators per output channel
        let dyPlane = g.outHeight * dyWidth
        // 1, but opaque to the optimiser: with constant offsets LLVM turns the overlapping input
        // loads (columns kw0, kw0 + 1, ...) into shuffles of two loads, spilling accumulators.
        let one = g.stride
        for c in 0..<g.channels {
            for kh in 0..<g.kernelHeight {
                var kw0 = columns.lowerBound
                while kw0 < columns.upperBound {
                    // Accumulator i: output channel i / per, kernel column kw0 + (i / v) % cols, vector i % v.
                    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                    var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
                    var a8 = SIMD8<Float>(), a9 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
                    for oh in rows {
                        let xrow = x + ((n * g.channels + c) * layout.height + oh + kh) * layout.width + kw0
                        let d0 = dy + (n * o) * dyPlane + oh * dyWidth
                        var ow = 0
                        while ow < dyWidth {
                            @inline(__always) func gradient(_ i: Int) -> SIMD8<Float> {
                                load8(d0 + (i / per) * dyPlane + ow + 8 * (i % v))
                            }
                            @inline(__always) func input(_ i: Int) -> SIMD8<Float> {
                                load8(xrow + ow + ((i / v) % cols) * one + 8 * (i % v))
                            }
                            a0 = a0.addingProduct(gradient(0), input(0))
                            if 1 < o * per { a1 = a1.addingProduct(gradient(1), input(1)) }
                            if 2 < o * per { a2 = a2.addingProduct(gradient(2), input(2)) }
                            if 3 < o * per { a3 = a3.addingProduct(gradient(3), input(3)) }
                            if 4 < o * per { a4 = a4.addingProduct(gradient(4), input(4)) }
                            if 5 < o * per { a5 = a5.addingProduct(gradient(5), input(5)) }
                            if 6 < o * per { a6 = a6.addingProduct(gradient(6), input(6)) }
                            if 7 < o * per { a7 = a7.addingProduct(gradient(7), input(7)) }
                            if 8 < o * per { a8 = a8.addingProduct(gradient(8), input(8)) }
                            if 9 < o * per { a9 = a9.addingProduct(gradient(9), input(9)) }
                            if 10 < o * per { a10 = a10.addingProduct(gradient(10), input(10)) }
                            if 11 < o * per { a11 = a11.addingProduct(gradient(11), input(11)) }
                            ow += 8 * v
                        }
                    }
                    let results = (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
                    withUnsafeBytes(of: results) { raw in
                        let lanes = raw.bindMemory(to: SIMD8<Float>.self)
                        for channel in 0..<o {
                            for j in 0..<cols where kw0 + j < g.kernelWidth {
                                var total: Float = 0
                                for q in 0..<v { total += lanes[channel * per + j * v + q].sum() }
                                dw[((channel * g.channels + c) * g.kernelHeight + kh) * g.kernelWidth + kw0 + j] = total
                            }
                        }
                    }
                    kw0 += cols
                }
            }
        }
    }
}

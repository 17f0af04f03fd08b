import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures the numeric kernels: GEMM 1024^3 and every convolution layer of a res-9 CycleGAN at
/// 256x256 (generator and discriminator), forward / input-grad / weight-grad, plus one whole
/// generator forward+backward. Used by `herd bench kernels`.
public enum KernelBenchmark {
    /// One convolution layer to time.
    struct Layer {
        var name: String
        var geometry: ConvGeometry
        /// Transposed convolutions swap the forward and input-grad kernels.
        var transposed: Bool
        /// false: a layer Winograd would take runs on the GEMM (the comparison row).
        var winograd = true
    }

    /// The layers of CycleGAN's res-9 generator (ngf 64) and 70x70 PatchGAN discriminator (ndf 64)
    /// at 256x256, batch 1. Geometries are those of the equivalent convolution.
    static var cycleGANLayers: [Layer] {
        func conv(_ name: String, _ c: Int, _ o: Int, _ k: Int, _ s: Int, _ p: Int, _ size: Int) -> Layer {
            let out = (size + 2 * p - k) / s + 1
            return Layer(name: name, geometry: ConvGeometry(
                batch: 1, channels: c, height: size, width: size, outChannels: o, kernelHeight: k, kernelWidth: k,
                stride: s, padding: p, outHeight: out, outWidth: out), transposed: false)
        }
        func convT(_ name: String, _ c: Int, _ o: Int, _ size: Int) -> Layer {
            // convT c -> o, 3x3 s2 p1 op1: size -> 2*size, the adjoint of a conv o -> c on 2*size.
            Layer(name: name, geometry: ConvGeometry(
                batch: 1, channels: o, height: 2 * size, width: 2 * size, outChannels: c, kernelHeight: 3, kernelWidth: 3,
                stride: 2, padding: 1, outHeight: size, outWidth: size), transposed: true)
        }
        func gemm(_ layer: Layer) -> Layer {
            var layer = layer
            layer.winograd = false
            return layer
        }
        return [
            conv("G c7s1-64  3->64 7x7 262", 3, 64, 7, 1, 0, 262),
            conv("G d128  64->128 3x3 s2 256", 64, 128, 3, 2, 1, 256),
            conv("G d256 128->256 3x3 s2 128", 128, 256, 3, 2, 1, 128),
            conv("G R256 Wino 256->256 3x3 66", 256, 256, 3, 1, 0, 66),
            gemm(conv("G R256 GEMM 256->256 3x3 66", 256, 256, 3, 1, 0, 66)),
            // The residual layer of res-6 at 100x100 (25x25 outputs).
            conv("G R256 Wino 27 (res-6 100)", 256, 256, 3, 1, 0, 27),
            gemm(conv("G R256 GEMM 27 (res-6 100)", 256, 256, 3, 1, 0, 27)),
            convT("G u128 T256->128 s2 64", 256, 128, 64),
            convT("G u64  T128->64 s2 128", 128, 64, 128),
            conv("G c7s1-3 64->3 7x7 262", 64, 3, 7, 1, 0, 262),
            conv("D C64    3->64 4x4 s2 256", 3, 64, 4, 2, 1, 256),
            conv("D C128  64->128 4x4 s2 128", 64, 128, 4, 2, 1, 128),
            conv("D C256 128->256 4x4 s2 64", 128, 256, 4, 2, 1, 64),
            conv("D C512 256->512 4x4 s1 32", 256, 512, 4, 1, 1, 32),
            conv("D out  512->1 4x4 s1 31", 512, 1, 4, 1, 1, 31),
        ]
    }

    /// How kernels are timed.
    public enum Clock: Sendable {
        /// Elapsed wall-clock time (what a training step sees).
        case wall
        /// Process CPU time divided by the thread count: an estimate of the quiet-machine wall
        /// time when other processes compete for the cores (exact for one thread).
        case cpu
    }

    /// Runs the benchmark on a pool of `threads` threads (the shared pool is reconfigured and
    /// restored afterwards) and returns the table. The layers are timed in `rounds` rounds, each
    /// timing the fastest of at least `repeats` runs (`best(of:clock:_:)`); a kernel's figure is
    /// its best round. Spreading a kernel's runs over the whole benchmark keeps a slow phase of a
    /// shared machine, which can last seconds, from deciding one row.
    /// `layers` restricts the convolution rows to names containing one of the strings (nil: all);
    /// `generator: false` skips the whole-generator timing.
    public static func run(
        threads: Int, repeats: Int, rounds: Int = 3, clock: Clock = .wall, layers: [String]? = nil,
        generator includeGenerator: Bool = true
    ) -> String {
        let previous = ThreadPool.shared.threadCount
        ThreadPool.configure(threads: threads)
        defer { ThreadPool.configure(threads: previous) }
        let repeats = Swift.max(1, repeats), rounds = Swift.max(1, rounds)
        // The GEMM is timed again around every layer, and the layer's %GEMM is against that
        // local rate: on a shared machine the speed drifts within a run, and a ratio against a
        // GEMM timed a minute earlier mixes the drift into the kernel's efficiency.
        let gemm = GEMMProbe(size: 1024, repeats: repeats, clock: clock)
        let selected = cycleGANLayers.filter { layer in layers == nil || (layers ?? []).contains(where: { layer.name.contains($0) }) }
        var times = Array(repeating: [Double](repeating: .infinity, count: 3), count: selected.count)
        var localGEMM = [Double](repeating: 0, count: selected.count)
        var bestGEMM = 0.0
        for _ in 0..<rounds {
            // One timing between two layers serves as "after" for the first and "before" for the next.
            var before = gemm.rate()
            bestGEMM = Swift.max(bestGEMM, before)
            for (index, layer) in selected.enumerated() {
                let round = timeLayer(layer, repeats: repeats, clock: clock)
                let after = gemm.rate()
                times[index] = zip(times[index], round).map { Swift.min($0, $1) }
                localGEMM[index] = Swift.max(localGEMM[index], before, after)
                before = after
                bestGEMM = Swift.max(bestGEMM, after)
            }
        }
        var rows: [String] = []
        for (index, layer) in selected.enumerated() {
            let flops = 2 * Double(layer.geometry.multiplyAdds)
            let rates = times[index].map { flops / $0 / 1e9 }
            let worst = (rates.min() ?? 0) / localGEMM[index] * 100
            var line = pad(layer.name, 28) + pad(format(flops / 1e9, 2), 7, right: true)
            for (time, rate) in zip(times[index], rates) {
                line += pad(format(time * 1e3, 2), 9, right: true) + pad(format(rate, 1), 7, right: true)
            }
            line += pad(format(localGEMM[index], 1), 7, right: true) + pad(format(worst, 0) + "%", 13, right: true)
            rows.append(line)
        }
        var lines: [String] = []
        lines.append("Tensor kernels: \(ThreadPool.shared.threadCount) thread(s), best of \(rounds) rounds of at least \(repeats) runs and \(format(minimumSeconds, 2)) s per kernel, \(clock == .wall ? "wall clock" : "CPU time / threads")")
        lines.append("GEMM 1024x1024x1024: \(format(bestGEMM, 1)) GFLOP/s (best of the run; column GEMM: the best of its timings just before and after that row in every round, which the row's %GEMM is against)")
        lines.append("")
        let header = pad("layer", 28) + pad("GFLOP", 7, right: true)
            + pad("fwd ms", 9, right: true) + pad("GF/s", 7, right: true)
            + pad("dx ms", 9, right: true) + pad("GF/s", 7, right: true)
            + pad("dW ms", 9, right: true) + pad("GF/s", 7, right: true) + pad("GEMM", 7, right: true)
            + pad("worst %GEMM", 13, right: true)
        lines.append(header)
        lines += rows
        lines.append("(GF/s: direct-convolution FLOPs / time, also for Winograd rows, which do fewer multiplications; "
                     + "Wino/GEMM rows: the same layer on Winograd F(4x4,3x3) and on the GEMM)")
        if let layer = selected.first(where: { $0.winograd && Winograd.applies($0.geometry) }) {
            lines.append("")
            lines += accuracyLines(layer.geometry, name: layer.name)
        }
        guard includeGenerator else { return lines.joined(separator: "\n") }
        lines.append("")
        let generator = generatorStepSeconds(repeats: Swift.min(repeats, 2), clock: clock)
        lines.append("Generator res-9 256x256 forward+backward (batch 1, whole network with norms): "
                     + "\(format(generator.forward * 1e3, 0)) ms forward, \(format(generator.total * 1e3, 0)) ms forward+backward")
        return lines.joined(separator: "\n")
    }

    /// Winograd's and the GEMM's error on one layer against a float64 direct convolution.
    static func accuracyLines(_ g: ConvGeometry, name: String) -> [String] {
        let winograd = ConvAccuracy.measure(g, winograd: true), gemm = ConvAccuracy.measure(g, winograd: false)
        func e(_ value: Double) -> String {
            guard value > 0, value.isFinite else { return value == 0 ? "0" : "\(value)" }
            var exponent = 0, mantissa = value
            while mantissa < 1 { mantissa *= 10; exponent -= 1 }
            while mantissa >= 10 { mantissa /= 10; exponent += 1 }
            return format(mantissa, 1) + "e" + String(exponent)
        }
        return [
            "Accuracy at \(name) (max |error| / max |float64 direct conv|, 8 sampled channels, x and dy in [-1, 1], w in ±1/sqrt(fan-in)):",
            "  Winograd F(4x4,3x3): forward \(e(winograd.forward))  input grad \(e(winograd.inputGrad))  weight grad \(e(winograd.weightGrad))",
            "  GEMM:                forward \(e(gemm.forward))  input grad \(e(gemm.inputGrad))  weight grad \(e(gemm.weightGrad))",
        ]
    }

    /// A `size^3` float32 GEMM on the shared pool, its operands allocated once and timed as
    /// often as asked.
    struct GEMMProbe {
        let size: Int
        let repeats: Int
        let clock: Clock
        let a: TensorStorage, b: TensorStorage, c: TensorStorage

        init(size n: Int, repeats: Int, clock: Clock) {
            self.size = n
            self.repeats = repeats
            self.clock = clock
            a = TensorStorage(uninitializedCount: n * n)
            b = TensorStorage(uninitializedCount: n * n)
            c = TensorStorage(zeroedCount: n * n)
            fillRandom(a.pointer, n * n, seed: 1)
            fillRandom(b.pointer, n * n, seed: 2)
        }

        /// GFLOP/s, the best of `repeats` runs.
        func rate() -> Double {
            let n = size, a = a, b = b, c = c
            let seconds = best(of: repeats, clock: clock) {
                GEMM.multiply(m: n, n: n, k: n,
                              a: DenseMatrix(base: a.pointer, rowStride: n, columnStride: 1),
                              b: DenseMatrix(base: b.pointer, rowStride: n, columnStride: 1),
                              c: c.pointer, ldc: n, accumulate: false)
            }
            return 2 * Double(n * n * n) / seconds / 1e9
        }
    }

    /// Seconds for (forward, input grad, weight grad) of one layer.
    static func timeLayer(_ layer: Layer, repeats: Int, clock: Clock) -> [Double] {
        let g = layer.geometry
        let input = TensorStorage(uninitializedCount: g.batch * g.inputSize)
        let output = TensorStorage(uninitializedCount: g.batch * g.outputSize)
        let weight = TensorStorage(uninitializedCount: g.weightCount)
        let weightGrad = TensorStorage(uninitializedCount: g.weightCount)
        fillRandom(input.pointer, input.count, seed: 3)
        fillRandom(output.pointer, output.count, seed: 4)
        fillRandom(weight.pointer, weight.count, seed: 5)
        // For a plain conv: forward x -> y, input grad dy -> dx. Transposed: the reverse.
        let winograd = layer.winograd
        let convForward = best(of: repeats, clock: clock) {
            ConvKernels.forward(g, x: input.pointer, weight: weight.pointer, bias: nil, y: output.pointer, winograd: winograd)
        }
        let convData = best(of: repeats, clock: clock) {
            ConvKernels.backwardData(g, dy: output.pointer, weight: weight.pointer, dx: input.pointer, winograd: winograd)
        }
        let convWeight = best(of: repeats, clock: clock) {
            ConvKernels.backwardWeight(g, x: input.pointer, dy: output.pointer, dWeight: weightGrad.pointer, accumulate: false,
                                       winograd: winograd)
        }
        return layer.transposed ? [convData, convForward, convWeight] : [convForward, convData, convWeight]
    }

    /// Seconds of one res-9 generator forward, and forward+backward (all parameters trainable,
    /// input not), at 256x256, batch 1.
    static func generatorStepSeconds(repeats: Int, clock: Clock) -> (forward: Double, total: Double) {
        var seed: UInt64 = 10
        func parameter(_ dims: [Int]) -> Tensor {
            seed += 1
            let storage = TensorStorage(uninitializedCount: TensorShape(dims).count)
            fillRandom(storage.pointer, storage.count, seed: seed, scale: 0.05)
            return Tensor(shape: TensorShape(dims), storage: storage, isParameter: true)
        }
        let ngf = 64
        let inputWeight = parameter([ngf, 3, 7, 7]), inputBias = parameter([ngf])
        let down = [(parameter([2 * ngf, ngf, 3, 3]), parameter([2 * ngf])), (parameter([4 * ngf, 2 * ngf, 3, 3]), parameter([4 * ngf]))]
        let blocks = (0..<9).map { _ in
            (parameter([4 * ngf, 4 * ngf, 3, 3]), parameter([4 * ngf]), parameter([4 * ngf, 4 * ngf, 3, 3]), parameter([4 * ngf]))
        }
        let up = [(parameter([4 * ngf, 2 * ngf, 3, 3]), parameter([2 * ngf])), (parameter([2 * ngf, ngf, 3, 3]), parameter([ngf]))]
        let outputWeight = parameter([3, ngf, 7, 7]), outputBias = parameter([3])
        let image = TensorStorage(uninitializedCount: 3 * 256 * 256)
        fillRandom(image.pointer, image.count, seed: 99)
        let x = Tensor(shape: [1, 3, 256, 256], storage: image)

        func generator() throws(TensorError) -> Tensor {
            var h = try relu(instanceNorm2d(conv2d(reflectionPad2d(x, 3), weight: inputWeight, bias: inputBias)))
            for (w, b) in down { h = try relu(instanceNorm2d(conv2d(h, weight: w, bias: b, stride: 2, padding: 1))) }
            for (w1, b1, w2, b2) in blocks {
                let r = try relu(instanceNorm2d(conv2d(reflectionPad2d(h, 1), weight: w1, bias: b1)))
                h = try add(h, instanceNorm2d(conv2d(reflectionPad2d(r, 1), weight: w2, bias: b2)))
            }
            for (w, b) in up {
                h = try relu(instanceNorm2d(convTranspose2d(h, weight: w, bias: b, stride: 2, padding: 1, outputPadding: 1)))
            }
            return try tanh(conv2d(reflectionPad2d(h, 3), weight: outputWeight, bias: outputBias))
        }
        let forward = best(of: repeats, clock: clock) { _ = GradMode.noGrad { try? generator() } }
        let total = best(of: repeats, clock: clock) {
            if let y = try? generator() { try? mean(y).backward() }
        }
        return (forward, total)
    }

    /// Wall time every kernel timing runs for at least (`best(of:clock:_:)`).
    static let minimumSeconds = 0.4

    /// The fastest of at least `repeats` runs of `body`, run again until `minimumSeconds` have
    /// passed (at most 10,000 runs). A kernel of a fraction of a millisecond gets hundreds of
    /// runs, so a burst of other work on a shared machine does not decide its figure; one of a
    /// tenth of a second gets `repeats`.
    static func best(of repeats: Int, clock: Clock, _ body: () -> Void) -> Double {
        var best = Double.infinity
        var runs = 0
        let begin = now(.wall)
        while runs < repeats || (now(.wall) - begin < minimumSeconds && runs < 10_000) {
            let start = now(clock)
            body()
            let seconds = now(clock) - start
            best = Swift.min(best, seconds)
            runs += 1
        }
        return best
    }

    /// Seconds on the selected clock.
    static func now(_ clock: Clock) -> Double {
        switch clock {
        case .wall:
            return Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        case .cpu:
            var spec = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
            return (Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9) / Double(ThreadPool.shared.threadCount)
        }
    }

    static func fillRandom(_ p: UnsafeMutablePointer<Float>, _ count: Int, seed: UInt64, scale: Float = 1) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            p[i] = (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
        }
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var factor = 1.0
        for _ in 0..<decimals { factor *= 10 }
        let rounded = (value * factor).rounded() / factor
        var text = String(rounded)
        if decimals == 0, text.hasSuffix(".0") { text.removeLast(2) }
        if decimals > 0, let dot = text.firstIndex(of: ".") {
            let have = text.distance(from: dot, to: text.endIndex) - 1
            if have < decimals { text += String(repeating: "0", count: decimals - have) }
        }
        return text
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: Swift.max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

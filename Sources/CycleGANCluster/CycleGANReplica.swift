import Cluster
import Config
import CycleGAN
import Foundation
import Hashing
import Imaging
import Tensor

/// Validation images travel as blobs of little-endian float32 CHW images in [-1, 1]
/// (`ValidationSet`'s values). Training images travel as their encoded files.
enum FloatBlob {
    static func encode(_ values: [Float]) -> Blob {
        Blob(bytes: values.withUnsafeBytes { Array($0) })
    }
    static func decode(_ bytes: [UInt8], count: Int) throws(ClusterError) -> [Float] {
        guard bytes.count == count * 4 else { throw .model("a sample image has \(bytes.count) bytes, expected \(count * 4)") }
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { src in out.withUnsafeMutableBytes { $0.copyMemory(from: src) } }
        return out
    }
}

/// A worker's CycleGAN replica: the model, both Adam optimizers and the
/// gradient buffers, driven by `ClusterWorker` through the decomposed step.
///
/// It makes its samples itself: each slot brings the two encoded files and the
/// coordinator's plan (crops, flips); the files are decoded, converted to RGB8 and
/// resized to `load_size` (`SamplePlanner.prepare`) once, kept in an LRU cache by
/// content hash (`imageCacheBytes`, default 2 GiB: about 8,700 images at load size
/// 286), and cropped with `SamplePlanner.apply`: the floats are bit-identical to
/// `SampleSource.sample(epoch:index:)`'s on the coordinator.
public final class CycleGANReplica: ReplicaModel {
    let config: RunConfig
    let model: CycleGANModel
    var optimizers: CycleGANOptimizers
    let weights: LossWeights
    var gradG: [Float]
    var gradD: [Float]
    let imageCount: Int
    let size: Int
    /// Real images of the step's slots, kept from the generator pass for the discriminator pass.
    var reals: [Int: (a: [Float], b: [Float])] = [:]
    /// Prepares and crops images (only its sizes and `flip` matter here; the plan comes from the coordinator).
    let planner: SamplePlanner
    /// Prepared (RGB8, `loadSize`²) images by the SHA-256 of their file.
    var images: ContentCache<Image>

    /// Default bound of the prepared-image cache: 2 GiB.
    public static let defaultImageCacheBytes = 2 << 30

    /// - Parameter imageCacheBytes: most bytes of prepared images kept (least recently used dropped first).
    /// - Throws: `ClusterError.model` for an unusable architecture.
    public init(config: RunConfig, imageCacheBytes: Int = CycleGANReplica.defaultImageCacheBytes) throws(ClusterError) {
        self.config = config
        planner = SamplePlanner(seed: config.training.seed, countA: 1, countB: 1, loadSize: config.data.loadSize,
                                cropSize: config.data.cropSize, flip: config.data.flip)
        images = ContentCache(capacity: imageCacheBytes)
        do { model = try CycleGANModel(architecture: config.model, seed: config.training.seed) } catch { throw .model("\(error)") }
        optimizers = CycleGANOptimizers(model: model, training: config.training)
        weights = LossWeights(cycle: Float(config.training.lambdaCycle), identity: Float(config.training.lambdaIdentity))
        gradG = model.generators.zeroBuffer()
        gradD = model.discriminators.zeroBuffer()
        size = config.data.cropSize
        imageCount = 3 * size * size
    }

    public var gradientCount: Int { gradG.count + gradD.count }
    public var exchangeCount: Int { 2 * imageCount }
    public var lossNames: [String] { CycleGANReplica.lossNames }
    public var microBatch: Int { max(1, config.training.microBatch) }
    static let lossNames = StepLosses.names

    public func load(_ state: ReplicaState) throws {
        let layout = try CycleGANStateLayout(model: model)
        try layout.load(state, into: model, optimizers: &optimizers)
    }

    public func state(step: Int) -> ReplicaState {
        CycleGANStateLayout.state(model: model, optimizers: optimizers, step: step)
    }

    public func resetGradients() {
        for i in gradG.indices { gradG[i] = 0 }
        for i in gradD.indices { gradD[i] = 0 }
        reals = [:]
    }

    public func firstPass(_ samples: [SampleInput], scale: Float) throws -> (exchange: [[Float]], losses: [Double]) {
        try firstPass(samples, scale: scale, exchangeReady: { _ in })
    }

    public func firstPass(_ samples: [SampleInput], scale: Float,
                          exchangeReady: ([[Float]]) -> Void) throws -> (exchange: [[Float]], losses: [Double]) {
        try firstPass(samples, scale: scale, exchangeReady: exchangeReady, gradientsReady: { _, _ in })
    }

    /// The payloads (each sample's `fake_A` then `fake_B`) go to `exchangeReady` as soon as
    /// the generator pass has made both fakes, about a third into the pass; `G_AB`'s floats
    /// (the first of `[G ‖ D]`) go to `gradientsReady` once its part of the gradient is in,
    /// with `G_BA`'s identity pass still to run.
    public func firstPass(_ samples: [SampleInput], scale: Float, exchangeReady: ([[Float]]) -> Void,
                          gradientsReady: (Range<Int>, UnsafeMutableBufferPointer<Float>) -> Void) throws -> (exchange: [[Float]], losses: [Double]) {
        var a: [[Float]] = [], b: [[Float]] = []
        for s in samples {
            let pair = try sampleImages(of: s)
            reals[s.slot] = pair
            a.append(pair.a); b.append(pair.b)
        }
        let realA = try Tensor.images(a, height: size, width: size)
        let realB = try Tensor.images(b, height: size, width: size)
        var payloads: [[Float]]?
        let pass = try model.generatorPass(realA: realA, realB: realB, scale: scale, weights: weights, gradients: &gradG,
                                           fakesReady: { fakeA, fakeB in
            let made = Self.payloads(fakeA: fakeA, fakeB: fakeB)
            payloads = made
            exchangeReady(made)
        }, generatorABReady: { floats in
            // The G buffer comes first in [G ‖ D]: its float indices are the same.
            gradientsReady(model.generatorABFloats, floats)
        })
        let l = pass.losses
        let losses = [l.ganAB, l.ganBA, l.cycleA, l.cycleB, l.identityA, l.identityB].map { $0 * Double(scale) }
        return (payloads ?? Self.payloads(fakeA: pass.outputs.fakeA, fakeB: pass.outputs.fakeB), losses)
    }

    /// Each sample's exchange payload: its `fake_A` floats, then its `fake_B` floats.
    private static func payloads(fakeA: Tensor, fakeB: Tensor) -> [[Float]] {
        zip(fakeA.sampleArrays(), fakeB.sampleArrays()).map { $0 + $1 }
    }

    /// The sample's A and B crops, CHW floats `[3 * cropSize²]` in [-1, 1], made from its
    /// files and plan exactly as `SampleSource.sample(epoch:index:)` makes them.
    /// - Throws: `ClusterError.model` naming the file that does not decode or the plan that does not fit.
    func sampleImages(of sample: SampleInput) throws(ClusterError) -> (a: [Float], b: [Float]) {
        guard sample.blobs.count == 2, sample.digests.count == 2 else {
            throw .model("sample \(sample.index) of epoch \(sample.epoch) needs 2 images, got \(sample.blobs.count)")
        }
        let plan: CycleGANSlotPlan
        do { plan = try CycleGANSlotPlan(decoding: sample.plan) } catch {
            throw .model("the plan of sample \(sample.index) of epoch \(sample.epoch) is malformed: \(error)")
        }
        var out: [[Float]] = []
        for (i, (crop, name)) in [(plan.cropA, plan.nameA), (plan.cropB, plan.nameB)].enumerated() {
            let image = try prepared(sample.blobs[i], digest: sample.digests[i], name: name)
            guard let floats = planner.apply(crop, to: image) else {
                throw .model("the crop (\(crop.x), \(crop.y)) of \(name) does not fit a \(planner.loadSize)² image with crop size \(planner.cropSize)")
            }
            out.append(floats)
        }
        return (out[0], out[1])
    }

    /// The prepared image of a file, from the cache or decoded now.
    private func prepared(_ bytes: [UInt8], digest: [UInt8], name: String) throws(ClusterError) -> Image {
        if let cached = images.value(digest) { return cached }
        let decoded: Image
        do { decoded = try ImageCodec.decode(bytes) } catch {
            throw .model("cannot decode the training image \(name) (sha256 \(digest.hexString.prefix(16))…, \(bytes.count) bytes) sent by the coordinator: \(error)")
        }
        guard decoded.width > 0, decoded.height > 0 else { throw .model("the training image \(name) is empty") }
        let image = planner.prepare(decoded)
        images.insert(image, cost: image.pixels.count, for: digest)
        return image
    }

    public func secondPass(_ samples: [SampleInput], exchanged: [[Float]], scale: Float) throws -> [Double] {
        try DiscriminatorSide.allCases.indices.flatMap { try secondPass(samples, exchanged: exchanged, scale: scale, piece: $0) }
    }

    /// `D_A`'s floats, then `D_B`'s: `D_A`'s sum crosses the ring while `D_B`'s passes run.
    public var secondPassPieces: [Range<Int>] {
        DiscriminatorSide.allCases.map { side in
            let r = model.discriminatorRange(side)
            return (gradG.count + r.lowerBound)..<(gradG.count + r.upperBound)
        }
    }

    /// One discriminator's pass (piece 0: `D_A`, 1: `D_B`) on one micro-batch.
    public func secondPass(_ samples: [SampleInput], exchanged: [[Float]], scale: Float, piece: Int) throws -> [Double] {
        let pairs = samples.compactMap { reals[$0.slot] }
        guard pairs.count == samples.count, exchanged.allSatisfy({ $0.count == exchangeCount }),
              DiscriminatorSide.allCases.indices.contains(piece) else {
            throw ClusterError.model("discriminator pass without the generator pass's images, with wrong-sized fakes or for no discriminator")
        }
        let side = DiscriminatorSide.allCases[piece]
        // An exchanged payload is the pooled fake A, then the pooled fake B.
        let real = try Tensor.images(pairs.map { side == .a ? $0.a : $0.b }, height: size, width: size)
        let fake = try Tensor.images(exchanged.map { Array(side == .a ? $0[0..<imageCount] : $0[imageCount...]) }, height: size, width: size)
        let loss = try model.discriminatorPass(side, real: real, pooledFake: fake, scale: scale, gradients: &gradD)
        return [loss * Double(scale)]
    }

    public var firstPassGradientCount: Int { gradG.count }

    /// `G_AB`'s floats, then `G_BA`'s: `G_AB`'s are final (and handed over) before the pass ends.
    public var firstPassPieces: [Range<Int>] {
        let ab = model.generatorABFloats
        return [ab, ab.upperBound..<gradG.count]
    }

    public func copyGradients(_ range: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) {
        for piece in pieces(of: range) {
            self[keyPath: piece.buffer].withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(rebasing: destination[piece.offset...])
                    .update(fromContentsOf: UnsafeBufferPointer(rebasing: source[piece.floats]))
            }
        }
    }

    public func replaceGradients(_ range: Range<Int>, with source: UnsafeBufferPointer<Float>) {
        for piece in pieces(of: range) {
            self[keyPath: piece.buffer].withUnsafeMutableBufferPointer { target in
                _ = UnsafeMutableBufferPointer(rebasing: target[piece.floats])
                    .update(fromContentsOf: UnsafeBufferPointer(rebasing: source[piece.offset..<(piece.offset + piece.floats.count)]))
            }
        }
    }

    public func zeroGradients(_ range: Range<Int>) {
        for piece in pieces(of: range) {
            self[keyPath: piece.buffer].withUnsafeMutableBufferPointer { target in
                UnsafeMutableBufferPointer(rebasing: target[piece.floats]).update(repeating: 0)
            }
        }
    }

    /// Where floats `range` of `[G ‖ D]` live: per gradient array, its floats `floats`, which
    /// sit at `offset` within `range`.
    private func pieces(of range: Range<Int>) -> [(buffer: ReferenceWritableKeyPath<CycleGANReplica, [Float]>, floats: Range<Int>, offset: Int)] {
        precondition(range.lowerBound >= 0 && range.upperBound <= gradientCount, "gradient range \(range) outside the buffer of \(gradientCount) floats")
        return [(\CycleGANReplica.gradG, 0), (\CycleGANReplica.gradD, gradG.count)].compactMap { buffer, start in
            let overlap = range.clamped(to: start..<(start + self[keyPath: buffer].count))
            guard !overlap.isEmpty else { return nil }
            return (buffer, (overlap.lowerBound - start)..<(overlap.upperBound - start), overlap.lowerBound - range.lowerBound)
        }
    }

    public func applyUpdate(learningRate: Double) throws {
        try optimizers.stepGenerators(model, gradients: gradG, lr: learningRate)
        try optimizers.stepDiscriminators(model, gradients: gradD, lr: learningRate)
    }

    public func parameterChecksum() -> UInt32 {
        var crc = Cluster.CRC32()
        model.generators.flatValues().withUnsafeBytes { crc.update($0) }
        model.discriminators.flatValues().withUnsafeBytes { crc.update($0) }
        return crc.value
    }

    /// `real | translated | reconstructed` as PNG.
    public func renderValidation(_ image: [UInt8], domain: Int) throws -> [UInt8] {
        let values = try FloatBlob.decode(image, count: imageCount)
        return PNGEncoder.encode(try ValidationRenderer.row(model: model, values: values, size: size, fromA: domain == 0, name: "the validation image"))
    }
}

/// The flat layout of a CycleGAN replica's state:
/// `G params ‖ D params ‖ Adam G m ‖ Adam G v ‖ Adam D m ‖ Adam D v`, steps `[Adam G, Adam D]`.
struct CycleGANStateLayout {
    let g: Int, d: Int
    init(model: CycleGANModel) throws(ClusterError) { g = model.generators.count; d = model.discriminators.count }

    static func state(model: CycleGANModel, optimizers: CycleGANOptimizers, step: Int) -> ReplicaState {
        var values = model.generators.flatValues()
        values += model.discriminators.flatValues()
        values += optimizers.generator.m; values += optimizers.generator.v
        values += optimizers.discriminator.m; values += optimizers.discriminator.v
        return ReplicaState(step: step, optimizerSteps: [optimizers.generator.step, optimizers.discriminator.step], values: values)
    }

    func load(_ state: ReplicaState, into model: CycleGANModel, optimizers: inout CycleGANOptimizers) throws(ClusterError) {
        guard state.values.count == 3 * (g + d), state.optimizerSteps.count == 2 else {
            throw .model("a CycleGAN state needs \(3 * (g + d)) floats and 2 optimizer steps, got \(state.values.count) and \(state.optimizerSteps.count)")
        }
        let v = state.values
        var o = 0
        func take(_ n: Int) -> [Float] { defer { o += n }; return Array(v[o..<(o + n)]) }
        guard model.generators.load(flat: take(g)), model.discriminators.load(flat: take(d)) else {
            throw .model("the state does not fit the model's parameters")
        }
        optimizers.generator.m = take(g); optimizers.generator.v = take(g)
        optimizers.discriminator.m = take(d); optimizers.discriminator.v = take(d)
        optimizers.generator.step = state.optimizerSteps[0]
        optimizers.discriminator.step = state.optimizerSteps[1]
    }
}

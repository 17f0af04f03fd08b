import Foundation
@testable import Cluster

/// The worked example of a second model on the cluster engine (docs/ARCHITECTURE.md, "Where
/// to add a model"): `ToyReplica` is its `ReplicaModel` (a worker's side), `ToyRun` its
/// `RunModel` (the coordinator's side), and `toyReference` the same training in one process.
///
/// A tiny two-network model with CycleGAN's step structure: a first pass (the "generator" g
/// with the "discriminator" w frozen) whose payloads go through a stateful pool on the
/// coordinator (the exchange), a second pass on the exchanged payloads, then Adam on g and on
/// w. Small enough that the cluster's distribution logic is checked against the
/// single-process reference in milliseconds.
enum Toy {
    static let d = 6
    static let datasetSize = 5
    static let epochLength = 8
    static let totalEpochs = 3
    static let batch = 4

    static func lr(epoch: Int) -> Double { 0.05 * (1 - Double(max(0, epoch - 2)) / 2) }

    /// The encoded "image" `id` (d bytes).
    static func image(_ id: Int) -> [UInt8] { (0..<d).map { UInt8((id * 37 + $0 * 11 + 5) % 251) } }
    static func imageID(epoch: Int, index: Int) -> Int { (index * 7 + epoch * 3) % datasetSize }

    /// Decoding and a keyed "augmentation" (sign flip) as the worker does it.
    static func sample(_ input: SampleInput) -> [Float] {
        let sign: Float = (input.epoch * 31 + input.index) % 2 == 0 ? 1 : -1
        return (input.blobs.first ?? []).map { sign * (Float($0) / 255 * 2 - 1) }
    }

    static func config(microBatch: Int = 1, checksumEvery: Int = 2) -> [UInt8] {
        var c = RunConfig()
        c.training.microBatch = microBatch
        c.training.batchSize = batch
        c.cluster.checksumEverySteps = checksumEvery
        return (try? JSONEncoder().encode(c)).map { Array($0) } ?? []
    }
}

import Config

/// Adam as the Tensor contract states it (plain * and +, Double powers).
struct ToyAdam: Codable, Equatable {
    var m: [Float], v: [Float], step = 0
    init(count: Int) { m = .init(repeating: 0, count: count); v = .init(repeating: 0, count: count) }
    mutating func update(_ p: inout ArraySlice<Float>, _ g: ArraySlice<Float>, lr: Float) {
        step += 1
        var b1t = 1.0, b2t = 1.0
        for _ in 0..<step { b1t *= 0.5; b2t *= 0.999 }
        let c1 = Float(1 - b1t), c2 = Float((1 - b2t).squareRoot())
        for i in 0..<m.count {
            let gi = g[g.startIndex + i]
            m[i] = 0.5 * m[i] + (1 - 0.5) * gi
            v[i] = 0.999 * v[i] + (1 - 0.999) * gi * gi
            p[p.startIndex + i] -= (lr / c1) * m[i] / (v[i].squareRoot() / c2 + 1e-8)
        }
    }
}

/// A worker replica of the toy model.
final class ToyReplica: ReplicaModel, @unchecked Sendable {
    // Parameters [g ‖ w], gradients [dg ‖ dw].
    var params: [Float]
    var grads: [Float]
    var adamG = ToyAdam(count: Toy.d), adamD = ToyAdam(count: Toy.d)
    /// Called at every generator pass with this replica (tests use it to trigger events).
    var onPass: (() -> Void)?

    init() {
        params = (0..<(2 * Toy.d)).map { Float($0 % 5) * 0.1 - 0.2 }
        grads = .init(repeating: 0, count: 2 * Toy.d)
    }

    var gradientCount: Int { 2 * Toy.d }
    var exchangeCount: Int { Toy.d }
    var lossNames: [String] { ["G", "D"] }
    /// The run configuration's `training.microBatch` (the worker sets it from the config it receives).
    var microBatch = 1

    static func initialState() -> ReplicaState { ToyReplica().state(step: 0) }

    func load(_ state: ReplicaState) throws {
        let d = Toy.d
        guard state.values.count == 6 * d else { throw BenchmarkError("toy state has \(state.values.count) floats") }
        params = Array(state.values[0..<(2 * d)])
        adamG.m = Array(state.values[(2 * d)..<(3 * d)]); adamG.v = Array(state.values[(3 * d)..<(4 * d)])
        adamD.m = Array(state.values[(4 * d)..<(5 * d)]); adamD.v = Array(state.values[(5 * d)..<(6 * d)])
        adamG.step = state.optimizerSteps.first ?? 0; adamD.step = state.optimizerSteps.last ?? 0
    }

    func state(step: Int) -> ReplicaState {
        ReplicaState(step: step, optimizerSteps: [adamG.step, adamD.step], values: params + adamG.m + adamG.v + adamD.m + adamD.v)
    }

    func resetGradients() { grads = .init(repeating: 0, count: 2 * Toy.d) }

    func firstPass(_ samples: [SampleInput], scale: Float) throws -> (exchange: [[Float]], losses: [Double]) {
        onPass?()
        let d = Toy.d, n = Float(samples.count)
        var fakes: [[Float]] = []
        var loss = 0.0
        for s in samples {
            let x = Toy.sample(s)
            var f = [Float](repeating: 0, count: d)
            for i in 0..<d {
                let a = params[i] * x[i] + params[(i + 1) % d]
                f[i] = Float(Foundation.tanh(Double(a)))
                let w = params[d + i]
                let r1 = f[i] - 0.5 * x[i], r2 = w * f[i] - 1
                loss += Double(r1 * r1 + 0.1 * r2 * r2) / Double(d)
                let dLdf = (2 / Float(d)) * r1 + 0.1 * (2 / Float(d)) * r2 * w
                let dLda = dLdf * (1 - f[i] * f[i]) * scale / n
                grads[i] += dLda * x[i]
                grads[(i + 1) % d] += dLda
            }
            fakes.append(f)
        }
        return (fakes, [loss * Double(scale) / Double(n)])
    }

    /// Called in ``firstPass(_:scale:exchangeReady:)`` right after the payloads were handed
    /// over, while the pass is still under way (tests wait there).
    var afterExchangeReady: (() -> Void)?

    func firstPass(_ samples: [SampleInput], scale: Float,
                   exchangeReady: ([[Float]]) -> Void) throws -> (exchange: [[Float]], losses: [Double]) {
        let pass = try firstPass(samples, scale: scale)
        exchangeReady(pass.exchange)
        afterExchangeReady?()
        return pass
    }

    func secondPass(_ samples: [SampleInput], exchanged: [[Float]], scale: Float) throws -> [Double] {
        let d = Toy.d, n = Float(samples.count)
        var loss = 0.0
        for (s, p) in zip(samples, exchanged) {
            let x = Toy.sample(s)
            for i in 0..<d {
                let w = params[d + i]
                let r = w * x[i] - 1
                loss += Double(r * r + w * p[i] * w * p[i]) / Double(d)
                grads[d + i] += ((2 / Float(d)) * r * x[i] + (2 / Float(d)) * w * p[i] * p[i]) * scale / n
            }
        }
        return [loss * Double(scale) / Double(n)]
    }

    /// The generator pass writes only `dg` (the first half), so it is reduced during the D
    /// pass. Tests set other splits (any prefix of `dg` is final after the G pass too).
    var firstPassGradientCount = Toy.d

    func copyGradients(_ range: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) {
        for (i, g) in zip(destination.indices, grads[range]) { destination[i] = g }
    }

    func replaceGradients(_ range: Range<Int>, with source: UnsafeBufferPointer<Float>) {
        grads.replaceSubrange(range, with: source)
    }

    func applyUpdate(learningRate: Double) throws {
        let d = Toy.d
        var p = params[...]
        adamG.update(&p[0..<d], grads[0..<d], lr: Float(learningRate))
        adamD.update(&p[d..<(2 * d)], grads[d..<(2 * d)], lr: Float(learningRate))
        params = Array(p)
    }

    func parameterChecksum() -> UInt32 { params.withUnsafeBytes { CRC32.checksum($0) } }

    func renderValidation(_ image: [UInt8], domain: Int) throws -> [UInt8] {
        [UInt8(domain)] + image.map { $0 ^ UInt8(truncatingIfNeeded: Int(params[0] * 100)) }
    }
}

/// The toy pool: CycleGAN's image-pool rule with capacity 2 and a keyed generator.
struct ToyPool: Codable, Equatable {
    var images: [[Float]] = []
    var random: UInt64 = 12345
    mutating func next() -> Double {
        random = random &* 6364136223846793005 &+ 1442695040888963407
        return Double(random >> 11) / Double(1 << 53)
    }
    mutating func query(_ image: [Float]) -> [Float] {
        if images.count < 2 { images.append(image); return image }
        if next() < 0.5 {
            let k = next() < 0.5 ? 0 : 1
            let stored = images[k]; images[k] = image; return stored
        }
        return image
    }
}

/// The coordinator side of the toy run: data, schedule, pool, checkpoints in a directory.
final class ToyRun: RunModel, @unchecked Sendable {
    var pool = ToyPool()
    let directory: String
    /// `training.microBatch` of the run.
    let microBatch: Int
    init(directory: String, microBatch: Int = 1) { self.directory = directory; self.microBatch = microBatch }

    var epochLength: Int { Toy.epochLength }
    var totalEpochs: Int { Toy.totalEpochs }
    var exchangeCount: Int { Toy.d }
    var lossNames: [String] { ["G", "D"] }
    func learningRate(epoch: Int) -> Double { Toy.lr(epoch: epoch) }
    func blobs(epoch: Int, index: Int) -> [Blob] { [Blob(bytes: Toy.image(Toy.imageID(epoch: epoch, index: index)))] }
    func sample(epoch: Int, index: Int) throws -> SampleSpec { SampleSpec(digests: blobs(epoch: epoch, index: index).map(\.digest)) }
    /// Files served, by digest (a worker asks only for those it does not hold).
    var served: [[UInt8]: Int] = [:]
    func blob(digest: [UInt8]) throws -> Blob? {
        let all = (0..<Toy.datasetSize).map { Blob(bytes: Toy.image($0)) } + (0..<3).map { Blob(bytes: Toy.image(100 + $0)) }
        guard let blob = all.first(where: { $0.digest == digest }) else { return nil }
        served[digest, default: 0] += 1
        return blob
    }
    func initialState() throws -> ReplicaState { ToyReplica.initialState() }
    /// Called at every exchange (on the coordinator's thread).
    var onExchange: (() -> Void)?
    func exchange(_ fakes: [[Float]]) throws -> [[Float]] {
        onExchange?()
        return fakes.map { pool.query($0) }
    }
    func exchangeSnapshot() -> any Sendable { pool }
    func restoreExchange(_ snapshot: any Sendable) throws {
        guard let p = snapshot as? ToyPool else { throw BenchmarkError("not a toy pool snapshot") }
        pool = p
    }

    struct Checkpoint: Codable { var step: Int; var optimizerSteps: [Int]; var values: [Float]; var pool: ToyPool }
    func saveCheckpoint(_ state: ReplicaState) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/step_\(state.step).json"
        let data = try JSONEncoder().encode(Checkpoint(step: state.step, optimizerSteps: state.optimizerSteps, values: state.values, pool: pool))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
    func loadLatestCheckpoint() throws -> ReplicaState? {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let steps = files.compactMap { f -> Int? in
            guard f.hasPrefix("step_"), f.hasSuffix(".json") else { return nil }
            return Int(f.dropFirst(5).dropLast(5))
        }
        guard let last = steps.max() else { return nil }
        let c = try JSONDecoder().decode(Checkpoint.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/step_\(last).json")))
        pool = c.pool
        return ReplicaState(step: c.step, optimizerSteps: c.optimizerSteps, values: c.values)
    }
    var validationEpochs: [Int] = []
    var validationResults: [String: [UInt8]] = [:]
    func validationItems(epoch: Int) throws -> [(item: ValidationItem, blob: Blob)] {
        (0..<3).map { i in
            let blob = Blob(bytes: Toy.image(100 + i))
            return (ValidationItem(name: "val\(i).png", domain: i % 2, digest: blob.digest), blob)
        }
    }
    func storeValidation(epoch: Int, results: [ValidationResult]) throws -> String {
        validationEpochs.append(epoch)
        for r in results { validationResults["\(epoch)/\(r.name)"] = r.png }
        return directory + "/val/epoch_\(epoch)"
    }
}

/// `herd train` for the toy model: the same pieces in one process.
func toyReference(steps: Int? = nil, microBatch: Int = 1) throws -> [Float] {
    let replica = ToyReplica()
    let run = ToyRun(directory: "/nonexistent")
    let schedule = StepSchedule(epochLength: Toy.epochLength, batchSize: Toy.batch, totalEpochs: Toy.totalEpochs)
    for step in 1...(steps ?? schedule.totalSteps) {
        let epoch = schedule.epoch(ofStep: step)
        let indices = Array(schedule.samples(ofStep: step))
        let inputs = indices.enumerated().map { slot, index in
            SampleInput(slot: slot, epoch: epoch, index: index, blobs: run.blobs(epoch: epoch, index: index).map(\.bytes))
        }
        replica.resetGradients()
        let batches = stride(from: 0, to: inputs.count, by: microBatch).map { Array(inputs[$0..<min($0 + microBatch, inputs.count)]) }
        var fakes: [[Float]] = []
        for b in batches { fakes += try replica.firstPass(b, scale: Float(b.count) / Float(inputs.count)).exchange }
        let pooled = try run.exchange(fakes)
        var offset = 0
        for b in batches {
            _ = try replica.secondPass(b, exchanged: Array(pooled[offset..<(offset + b.count)]), scale: Float(b.count) / Float(inputs.count))
            offset += b.count
        }
        try replica.applyUpdate(learningRate: Toy.lr(epoch: epoch))
    }
    return replica.params
}

import Config
import Tensor

/// The settings a parity fixture carries in its manifest's `config`.
public struct ParityConfig: Sendable, Equatable {
    public var ngf: Int
    public var ndf: Int
    public var nBlocks: Int
    public var steps: Int
    public var lr: Double
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var lambdaCycle: Double
    public var lambdaIdentity: Double

    /// Reads the fixture's `config` object. Throws naming the missing or invalid field.
    public init(_ config: JSONValue?, path: String) throws(ArchiveError) {
        guard let config, case .object = config else {
            throw .badManifest(path: path, reason: "has no 'config' object")
        }
        func int(_ key: String) throws(ArchiveError) -> Int {
            guard let value = config[key]?.intValue, value >= 0 else {
                throw .badManifest(path: path, reason: "config.\(key) is missing or not a non-negative integer")
            }
            return value
        }
        func double(_ key: String, default fallback: Double? = nil) throws(ArchiveError) -> Double {
            if let value = config[key]?.doubleValue, value.isFinite { return value }
            if config[key] == nil, let fallback { return fallback }
            throw .badManifest(path: path, reason: "config.\(key) is missing or not a finite number")
        }
        ngf = try int("ngf")
        ndf = try int("ndf")
        nBlocks = try int("n_blocks")
        steps = try int("steps")
        lr = try double("lr")
        beta1 = try double("beta1")
        beta2 = try double("beta2")
        eps = try double("eps", default: 1e-8)
        lambdaCycle = try double("lambda_cycle", default: 10)
        lambdaIdentity = try double("lambda_identity", default: 0.5)
        if let mode = config["gan_mode"]?.stringValue, mode != "lsgan" {
            throw .badManifest(path: path, reason: "config.gan_mode '\(mode)' is not supported (only lsgan)")
        }
        if let normEps = config["instance_norm_eps"]?.doubleValue, abs(normEps - 1e-5) > 1e-12 {
            throw .badManifest(path: path, reason: "config.instance_norm_eps \(normEps) is not supported (only 1e-5)")
        }
        if let slope = config["leaky_relu_slope"]?.doubleValue, abs(slope - 0.2) > 1e-12 {
            throw .badManifest(path: path, reason: "config.leaky_relu_slope \(slope) is not supported (only 0.2)")
        }
    }
}

/// Replays a parity fixture: loads its initial parameters and per-step
/// batches, runs its steps with the single-process ``TrainingStep`` (image
/// pools transparent, as they are while they hold fewer than 50 images), and
/// records every tensor the fixture format defines.
public enum ParityRun {
    /// Runs the fixture in `fixtureDirectory` and returns the output archive
    /// (same names and shapes as the fixture: `init/*`, `stepK/input/*`,
    /// `stepK/out/*`, `stepK/loss/*`, `stepK/grad/*`, `stepK/param/*`).
    /// `microBatch` splits each step's batch (nil: the whole batch at once).
    public static func run(fixtureDirectory: String, microBatch: Int? = nil) throws(CycleGANError) -> TensorArchive {
        let fixture: TensorArchive
        let config: ParityConfig
        do {
            fixture = try TensorArchive.read(directory: fixtureDirectory)
            config = try ParityConfig(fixture.metadata["config"], path: fixtureDirectory + "/manifest.json")
        } catch {
            throw .archive(error)
        }
        var architecture = ModelConfig()
        architecture.ngf = config.ngf
        architecture.ndf = config.ndf
        architecture.nBlocks = config.nBlocks
        let model = try CycleGANModel(architecture: architecture, seed: 0)
        var output = TensorArchive(metadata: fixture.metadata)
        do {
            try model.load(from: fixture, prefix: "init/", path: fixtureDirectory)
            try model.store(into: &output, prefix: "init/")
        } catch {
            throw .archive(error)
        }
        var optimizers = CycleGANOptimizers(model: model, beta1: Float(config.beta1), beta2: Float(config.beta2), eps: Float(config.eps))
        var poolA = ImagePool(capacity: 0, seed: 0)
        var poolB = ImagePool(capacity: 0, seed: 0)
        let weights = LossWeights(cycle: Float(config.lambdaCycle), identity: Float(config.lambdaIdentity))

        for step in 0..<config.steps {
            let prefix = "step\(step + 1)/"
            do {
                guard let inputA = fixture[prefix + "input/A"], let inputB = fixture[prefix + "input/B"] else {
                    throw ArchiveError.missingTensor(path: fixtureDirectory, name: prefix + "input/A or B")
                }
                guard inputA.shape.count == 4, inputA.shape == inputB.shape, inputA.shape[0] > 0 else {
                    throw ArchiveError.shapeMismatch(path: fixtureDirectory, name: prefix + "input/B",
                                                     expected: inputA.shape, found: inputB.shape)
                }
                let (n, height, width) = (inputA.shape[0], inputA.shape[2], inputA.shape[3])
                let samplesA = split(inputA.values, count: n)
                let samplesB = split(inputB.values, count: n)
                // With identity weight 0 the step skips the identity forwards; record them anyway
                // (with the pre-step parameters) in case the fixture lists them.
                var identityOutputs: (Tensor, Tensor)?
                if weights.identity == 0 {
                    let realA = try Tensor.images(samplesA, height: height, width: width)
                    let realB = try Tensor.images(samplesB, height: height, width: width)
                    identityOutputs = (try Inference.run { try model.generatorAB(realB) },
                                       try Inference.run { try model.generatorBA(realA) })
                }
                let trainingStep = TrainingStep(model: model, weights: weights, microBatch: microBatch ?? n)
                let result = try trainingStep.run(batchA: samplesA, batchB: samplesB, height: height, width: width, lr: config.lr,
                                                  optimizers: &optimizers, poolA: &poolA, poolB: &poolB)
                if let (idtA, idtB) = identityOutputs {
                    try output.append(name: prefix + "out/idt_A", shape: idtA.shape.dims, values: idtA.scalars)
                    try output.append(name: prefix + "out/idt_B", shape: idtB.shape.dims, values: idtB.scalars)
                }
                try output.append(name: prefix + "input/A", shape: inputA.shape, values: inputA.values)
                try output.append(name: prefix + "input/B", shape: inputB.shape, values: inputB.values)
                try record(result, prefix: prefix, into: &output)
                try output.append(flat: result.generatorGradients, layout: model.generators.layout, prefix: prefix + "grad/")
                try output.append(flat: result.discriminatorGradients, layout: model.discriminators.layout, prefix: prefix + "grad/")
                try model.store(into: &output, prefix: prefix + "param/")
            } catch let error as ArchiveError {
                throw .archive(error)
            } catch let error as CycleGANError {
                throw error
            } catch {
                throw .invalidSetting("\(error)")
            }
        }
        return output
    }

    private static func split(_ values: [Float], count: Int) -> [[Float]] {
        let per = values.count / count
        return (0..<count).map { Array(values[$0 * per ..< ($0 + 1) * per]) }
    }

    /// Appends `out/*` (concatenated over micro-batches) and `loss/*`.
    private static func record(_ result: StepResult, prefix: String, into archive: inout TensorArchive) throws(ArchiveError) {
        let outputs: [(name: String, pick: @Sendable (GeneratorOutputs) -> Tensor?)] = [
            ("fake_B", { $0.fakeB }), ("rec_A", { $0.recA }), ("fake_A", { $0.fakeA }), ("rec_B", { $0.recB }),
            ("idt_A", { $0.idtA }), ("idt_B", { $0.idtB }),
            ("D_B_fake_B", { $0.discriminatorBFakeB }), ("D_A_fake_A", { $0.discriminatorAFakeA }),
        ]
        for output in outputs {
            let parts: [Tensor] = result.outputs.compactMap { output.pick($0) }
            guard parts.count == result.outputs.count, let first = parts.first else { continue }
            var shape = first.shape.dims
            shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
            let values: [Float] = parts.flatMap { $0.scalars }
            try archive.append(name: prefix + "out/" + output.name, shape: shape, values: values)
        }
        let g = result.losses.generator
        let d = result.losses.discriminator
        let losses: [(String, Double)] = [
            ("G_gan_AB", g.ganAB), ("G_gan_BA", g.ganBA), ("cycle_A", g.cycleA), ("cycle_B", g.cycleB),
            ("idt_A", g.identityA), ("idt_B", g.identityB), ("G", g.total),
            ("D_A", d.discriminatorA), ("D_B", d.discriminatorB),
        ]
        for (name, value) in losses {
            try archive.append(name: prefix + "loss/" + name, shape: [1], values: [Float(value)])
        }
    }
}

import Tensor

/// The outcome of one full training step.
public struct StepResult: Sendable {
    /// Batch-mean losses.
    public var losses: StepLosses
    /// The batch-mean `G` gradient that was applied (layout of `model.generators`).
    public var generatorGradients: [Float]
    /// The batch-mean `D` gradient that was applied.
    public var discriminatorGradients: [Float]
    /// The generator outputs of every micro-batch, in slot order.
    public var outputs: [GeneratorOutputs]
}

/// One CycleGAN optimisation step in the reference order, built from the same
/// pieces the cluster distributes:
/// 1. ``CycleGANModel/generatorPass(realA:realB:scale:weights:gradients:)`` per micro-batch,
///    accumulating the `G` gradient (each micro-batch weighted by its share of the batch);
/// 2. the image pools, queried sample by sample in slot order (`fake_A` into pool A, `fake_B` into pool B);
/// 3. ``CycleGANModel/discriminatorPass(realA:realB:pooledFakeA:pooledFakeB:scale:gradients:)`` per micro-batch;
/// 4. Adam on `G`, then Adam on `D`, at the same learning rate.
public struct TrainingStep: Sendable {
    public let model: CycleGANModel
    public let weights: LossWeights
    /// Samples per micro-batch (at least 1).
    public let microBatch: Int

    public init(model: CycleGANModel, weights: LossWeights, microBatch: Int) {
        self.model = model
        self.weights = weights
        self.microBatch = max(1, microBatch)
    }

    /// Trains on one batch: `batchA[i]` and `batchB[i]` are slot `i`'s images
    /// (`[3 * height * width]`, CHW, in [-1, 1]).
    /// - Throws: ``CycleGANError`` when the batch is empty, A and B differ in
    ///   length or a sample has the wrong size; parameters are unchanged then.
    public func run(batchA: [[Float]], batchB: [[Float]], height: Int, width: Int, lr: Double,
                    optimizers: inout CycleGANOptimizers, poolA: inout ImagePool, poolB: inout ImagePool) throws(CycleGANError) -> StepResult {
        guard !batchA.isEmpty, batchA.count == batchB.count else {
            throw .invalidBatch("a step needs as many A as B images and at least one (got \(batchA.count) and \(batchB.count))")
        }
        let total = batchA.count
        let ranges = stride(from: 0, to: total, by: microBatch).map { $0 ..< min($0 + microBatch, total) }
        var realA: [Tensor] = []
        var realB: [Tensor] = []
        for range in ranges {
            realA.append(try Tensor.images(batchA[range], height: height, width: width))
            realB.append(try Tensor.images(batchB[range], height: height, width: width))
        }

        var losses = StepLosses()
        var gradG = model.generators.zeroBuffer()
        var outputs: [GeneratorOutputs] = []
        for (i, range) in ranges.enumerated() {
            let share = Double(range.count) / Double(total)
            let pass = try model.generatorPass(realA: realA[i], realB: realB[i], scale: Float(share), weights: weights,
                                               gradients: &gradG)
            losses.generator.accumulate(pass.losses, weight: share)
            outputs.append(pass.outputs)
        }

        var pooledA: [Tensor] = []
        var pooledB: [Tensor] = []
        for output in outputs {
            pooledA.append(try Tensor.images(poolA.query(batch: output.fakeA.sampleArrays()), height: height, width: width))
            pooledB.append(try Tensor.images(poolB.query(batch: output.fakeB.sampleArrays()), height: height, width: width))
        }

        var gradD = model.discriminators.zeroBuffer()
        for (i, range) in ranges.enumerated() {
            let share = Double(range.count) / Double(total)
            let passLosses = try model.discriminatorPass(realA: realA[i], realB: realB[i], pooledFakeA: pooledA[i],
                                                         pooledFakeB: pooledB[i], scale: Float(share), gradients: &gradD)
            losses.discriminator.accumulate(passLosses, weight: share)
        }

        try optimizers.stepGenerators(model, gradients: gradG, lr: lr)
        try optimizers.stepDiscriminators(model, gradients: gradD, lr: lr)
        return StepResult(losses: losses, generatorGradients: gradG, discriminatorGradients: gradD, outputs: outputs)
    }
}

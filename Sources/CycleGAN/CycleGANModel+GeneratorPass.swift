import Tensor

/// What a generator pass produced, all detached from the graph.
/// Image tensors are `[n, 3, H, W]`; the verdicts `[n, 1, h, w]`.
public struct GeneratorOutputs: Sendable {
    public let fakeB: Tensor
    public let recA: Tensor
    public let fakeA: Tensor
    public let recB: Tensor
    /// `G_AB(B)`; nil when the identity weight is 0.
    public let idtA: Tensor?
    /// `G_BA(A)`; nil when the identity weight is 0.
    public let idtB: Tensor?
    /// `D_B(fake_B)` as the generator loss saw it.
    public let discriminatorBFakeB: Tensor
    /// `D_A(fake_A)`.
    public let discriminatorAFakeA: Tensor
}

/// The result of ``CycleGANModel/generatorPass(realA:realB:scale:weights:gradients:fakesReady:generatorABReady:)``.
public struct GeneratorPassResult: Sendable {
    /// Generated images and verdicts (detached): `fakeA`/`fakeB` go to the image pools.
    public let outputs: GeneratorOutputs
    /// The loss terms of this micro-batch (means over its samples, unscaled).
    public let losses: GeneratorLosses
}

extension CycleGANModel {
    /// Runs the generator half of a training step on one micro-batch and
    /// ADDS `scale` times the gradient of the generator loss to `gradients`
    /// (the flat `G` buffer, layout ``generators``).
    ///
    /// Forwards `fake_B = G_AB(A)`, `rec_A = G_BA(fake_B)`, `fake_A = G_BA(B)`,
    /// `rec_B = G_AB(fake_A)`, `idt_A = G_AB(B)`, `idt_B = G_BA(A)`; the loss is
    /// `mse(D_B(fake_B), 1) + mse(D_A(fake_A), 1) + λc (L1(rec_A, A) + L1(rec_B, B))
    /// + λc λi (L1(idt_A, B) + L1(idt_B, A))`. The discriminators are frozen
    /// (evaluated with detached parameters, so no discriminator gradient is made).
    /// The loss is backpropagated in four independent parts (the two cycles, the
    /// two identities) so that only one part's activations are alive at a time;
    /// the sum of their gradients is the gradient of the sum.
    ///
    /// - Parameters:
    ///   - realA: `[n, 3, H, W]` in [-1, 1], H and W multiples of 4.
    ///   - realB: same shape as `realA`.
    ///   - scale: the micro-batch's share of the global batch, `n / B`, so the
    ///     accumulated gradient is the batch mean.
    ///   - gradients: the `G` gradient buffer (``generators``.count floats).
    ///   - fakesReady: called once with `fake_A` and `fake_B` (detached) as soon as both exist,
    ///     before the rest of the pass (about a third in: after the A cycle's backward and
    ///     `G_BA(B)`), so a caller can send them on while the pass goes on. It only reads them;
    ///     the pass computes the same bits with or without it.
    ///   - generatorABReady: called once, when the identity weight is not 0, as soon as this
    ///     micro-batch's part of `G_AB`'s gradient is in `gradients`: after the identity-A
    ///     backward, the last part that reaches `G_AB`, with the `G_BA` identity (a sixth of
    ///     the pass) still to run. It gets `G_AB`'s floats of `gradients` (``generatorABFloats``),
    ///     valid during the call only; the pass adds nothing to them afterwards, so a caller
    ///     may copy them out (and zero them) while `G_BA`'s part is computed. Without it, or
    ///     when it only reads, the pass computes the same bits.
    /// - Throws: ``CycleGANError/invalidBatch(_:)`` for unusable shapes,
    ///   ``CycleGANError/tensor(_:)`` if an operation fails.
    public func generatorPass(realA: Tensor, realB: Tensor, scale lossScale: Float, weights: LossWeights,
                              gradients: inout [Float],
                              fakesReady: (_ fakeA: Tensor, _ fakeB: Tensor) -> Void = { _, _ in },
                              generatorABReady: (UnsafeMutableBufferPointer<Float>) -> Void = { _ in }) throws(CycleGANError) -> GeneratorPassResult {
        try checkBatch(realA, realB)
        guard gradients.count == generators.count else {
            throw .invalidSetting("the G gradient buffer has \(gradients.count) floats, the generators \(generators.count)")
        }
        generators.zeroGradients()
        var losses = GeneratorLosses()
        let frozenA = discriminatorA.frozen()
        let frozenB = discriminatorB.frozen()
        do {
            // Cycle A -> B -> A and D_B's verdict on fake_B, then B -> A -> B and D_A's on fake_A.
            let ab = try cycle(realA, forward: generatorAB, back: generatorBA, judge: frozenB, weights: weights, scale: lossScale)
            losses.ganAB = ab.gan; losses.cycleA = ab.cycle
            let ba = try cycle(realB, forward: generatorBA, back: generatorAB, judge: frozenA, weights: weights, scale: lossScale,
                               madeFake: { fakeA in fakesReady(fakeA, ab.fake) })
            losses.ganBA = ba.gan; losses.cycleB = ba.cycle

            var idtA: Tensor?
            var idtB: Tensor?
            if weights.identity != 0 {
                let identityWeight = weights.cycle * weights.identity
                let sameB = try generatorAB(realB)
                let identityA = scale(try l1Loss(sameB, realB), by: identityWeight)
                losses.identityA = Double(try identityA.item())
                idtA = sameB.detach()
                try scale(identityA, by: lossScale).backward()
                // Nothing below reaches G_AB: its part of the gradient is final.
                let ab = generatorABParameterIndices
                generators.drainGradients(ab, into: &gradients)
                let floats = generators.layout.floats(of: ab)
                gradients.withUnsafeMutableBufferPointer { generatorABReady(UnsafeMutableBufferPointer(rebasing: $0[floats])) }

                let sameA = try generatorBA(realA)
                let identityB = scale(try l1Loss(sameA, realA), by: identityWeight)
                losses.identityB = Double(try identityB.item())
                idtB = sameA.detach()
                try scale(identityB, by: lossScale).backward()
            }
            generators.drainGradients(into: &gradients)
            let outputs = GeneratorOutputs(
                fakeB: ab.fake, recA: ab.reconstructed, fakeA: ba.fake, recB: ba.reconstructed,
                idtA: idtA, idtB: idtB, discriminatorBFakeB: ab.verdict, discriminatorAFakeA: ba.verdict)
            return GeneratorPassResult(outputs: outputs, losses: losses)
        } catch {
            generators.zeroGradients()
            throw .tensor(error)
        }
    }

    /// `G_AB`'s floats in the `G` gradient buffer (its parameters come first, then `G_BA`'s).
    public var generatorABFloats: Range<Int> { generators.layout.floats(of: generatorABParameterIndices) }

    /// `G_AB`'s places in `generators.parameters`.
    private var generatorABParameterIndices: Range<Int> { 0..<generatorAB.parameters(prefix: "G_AB").count }

    /// One cycle: `fake = forward(real)` (handed to `madeFake`, detached, at once),
    /// `reconstructed = back(fake)` and the frozen `judge`'s verdict on the fake.
    /// Backpropagates `(LSGAN(verdict, 1) + cycle weight × L1(reconstructed, real)) × scale`
    /// and returns the detached outputs with both (unscaled) loss values.
    private func cycle(
        _ real: Tensor, forward: ResnetGenerator, back: ResnetGenerator, judge: PatchDiscriminator,
        weights: LossWeights, scale lossScale: Float, madeFake: (Tensor) -> Void = { _ in }
    ) throws(TensorError) -> (fake: Tensor, reconstructed: Tensor, verdict: Tensor, gan: Double, cycle: Double) {
        let fake = try forward(real)
        madeFake(fake.detach())
        let reconstructed = try back(fake)
        let verdict = try judge(fake)
        let gan = mseLoss(verdict, target: 1)
        let cycle = scale(try l1Loss(reconstructed, real), by: weights.cycle)
        let values = (gan: Double(try gan.item()), cycle: Double(try cycle.item()))
        // Detached before backward, which may release the graph's buffers.
        let outputs = (fake: fake.detach(), reconstructed: reconstructed.detach(), verdict: verdict.detach())
        try scale(try add(gan, cycle), by: lossScale).backward()
        return (outputs.fake, outputs.reconstructed, outputs.verdict, values.gan, values.cycle)
    }

    /// Checks that A and B batches are `[n, 3, H, W]` alike with H, W positive multiples of 4.
    func checkBatch(_ realA: Tensor, _ realB: Tensor) throws(CycleGANError) {
        let dims = realA.shape.dims
        guard dims.count == 4, dims[1] == 3, dims[0] > 0 else {
            throw .invalidBatch("images must be [n, 3, H, W], got A \(realA.shape)")
        }
        guard realB.shape == realA.shape else {
            throw .invalidBatch("A \(realA.shape) and B \(realB.shape) must have the same shape")
        }
        guard dims[2] % 4 == 0, dims[3] % 4 == 0, dims[2] >= 4, dims[3] >= 4 else {
            throw .invalidBatch("height and width must be multiples of 4, got \(dims[2])x\(dims[3])")
        }
    }
}

import Tensor

/// One of the two discriminators: `D_A` judges domain A, `D_B` domain B.
public enum DiscriminatorSide: Sendable, CaseIterable {
    case a, b
}

extension CycleGANModel {
    /// Runs the discriminator half of a training step on one micro-batch and
    /// ADDS `scale` times the gradient of `loss_D_A + loss_D_B` to `gradients`
    /// (the flat `D` buffer, layout ``discriminators``), where
    /// `loss_D_A = 0.5 (mse(D_A(real A), 1) + mse(D_A(fake A), 0))` and likewise for `D_B`.
    ///
    /// The fakes are the image pools' answers for the generator pass's
    /// `fake_A`/`fake_B` (detached). The gradient does not depend on the
    /// generator update, so it may be computed before or after the `G` Adam step.
    ///
    /// The same as ``discriminatorPass(_:real:pooledFake:scale:gradients:)`` for `D_A`, then
    /// for `D_B`: the two share no parameter, so either order gives the same bits.
    ///
    /// - Parameters: all four images `[n, 3, H, W]`; `scale` is `n / B`.
    /// - Throws: ``CycleGANError/invalidBatch(_:)``, ``CycleGANError/tensor(_:)``.
    public func discriminatorPass(realA: Tensor, realB: Tensor, pooledFakeA: Tensor, pooledFakeB: Tensor,
                                  scale lossScale: Float, gradients: inout [Float]) throws(CycleGANError) -> DiscriminatorLosses {
        try checkBatch(realA, realB)
        guard pooledFakeA.shape == realA.shape, pooledFakeB.shape == realB.shape else {
            throw .invalidBatch("pooled fakes A \(pooledFakeA.shape) and B \(pooledFakeB.shape) must match the real batch \(realA.shape)")
        }
        var losses = DiscriminatorLosses()
        losses.discriminatorA = try discriminatorPass(.a, real: realA, pooledFake: pooledFakeA, scale: lossScale, gradients: &gradients)
        losses.discriminatorB = try discriminatorPass(.b, real: realB, pooledFake: pooledFakeB, scale: lossScale, gradients: &gradients)
        return losses
    }

    /// Runs one discriminator's half of a training step on one micro-batch, ADDS `scale`
    /// times the gradient of its loss (`loss_D_A` or `loss_D_B`, above) to its floats of
    /// `gradients` (``discriminatorRange(_:)`` of the flat `D` buffer), and returns the loss.
    /// The other discriminator's floats are not touched, so a worker can send `D_A`'s
    /// finished gradient on while it computes `D_B`'s.
    ///
    /// - Parameters: `real` and `pooledFake` `[n, 3, H, W]` of the side's domain; `scale` is `n / B`.
    /// - Throws: ``CycleGANError/invalidBatch(_:)``, ``CycleGANError/tensor(_:)``.
    public func discriminatorPass(_ side: DiscriminatorSide, real: Tensor, pooledFake: Tensor,
                                  scale lossScale: Float, gradients: inout [Float]) throws(CycleGANError) -> Double {
        try checkBatch(real, real)
        guard pooledFake.shape == real.shape else {
            throw .invalidBatch("pooled fakes \(pooledFake.shape) must match the real batch \(real.shape)")
        }
        guard gradients.count == discriminators.count else {
            throw .invalidSetting("the D gradient buffer has \(gradients.count) floats, the discriminators \(discriminators.count)")
        }
        let network = side == .a ? discriminatorA : discriminatorB
        let indices = discriminatorParameterIndices(side)
        discriminators.zeroGradients(indices)
        let loss: Double
        do {
            let l = scale(try add(mseLoss(try network(real), target: 1),
                                  mseLoss(try network(pooledFake.detach()), target: 0)), by: 0.5)
            loss = Double(try l.item())
            try scale(l, by: lossScale).backward()
        } catch {
            discriminators.zeroGradients(indices)
            throw .tensor(error)
        }
        discriminators.drainGradients(indices, into: &gradients)
        return loss
    }

    /// One discriminator's floats in the flat `D` buffer (`D_A`'s come first, then `D_B`'s).
    public func discriminatorRange(_ side: DiscriminatorSide) -> Range<Int> {
        discriminators.layout.floats(of: discriminatorParameterIndices(side))
    }

    /// One discriminator's places in `discriminators.parameters`.
    func discriminatorParameterIndices(_ side: DiscriminatorSide) -> Range<Int> {
        let split = discriminatorA.parameters(prefix: "D_A").count
        return side == .a ? 0..<split : split..<discriminators.parameters.count
    }
}

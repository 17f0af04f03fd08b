import Tensor

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
    /// - Parameters: all four images `[n, 3, H, W]`; `scale` is `n / B`.
    /// - Throws: ``CycleGANError/invalidBatch(_:)``, ``CycleGANError/tensor(_:)``.
    public func discriminatorPass(realA: Tensor, realB: Tensor, pooledFakeA: Tensor, pooledFakeB: Tensor,
                                  scale lossScale: Float, gradients: inout [Float]) throws(CycleGANError) -> DiscriminatorLosses {
        try checkBatch(realA, realB)
        guard pooledFakeA.shape == realA.shape, pooledFakeB.shape == realB.shape else {
            throw .invalidBatch("pooled fakes A \(pooledFakeA.shape) and B \(pooledFakeB.shape) must match the real batch \(realA.shape)")
        }
        guard gradients.count == discriminators.count else {
            throw .invalidSetting("the D gradient buffer has \(gradients.count) floats, the discriminators \(discriminators.count)")
        }
        discriminators.zeroGradients()
        var losses = DiscriminatorLosses()
        do {
            let lossA = scale(try add(mseLoss(try discriminatorA(realA), target: 1),
                                      mseLoss(try discriminatorA(pooledFakeA.detach()), target: 0)), by: 0.5)
            losses.discriminatorA = Double(try lossA.item())
            try scale(lossA, by: lossScale).backward()
            let lossB = scale(try add(mseLoss(try discriminatorB(realB), target: 1),
                                      mseLoss(try discriminatorB(pooledFakeB.detach()), target: 0)), by: 0.5)
            losses.discriminatorB = Double(try lossB.item())
            try scale(lossB, by: lossScale).backward()
        } catch {
            discriminators.zeroGradients()
            throw .tensor(error)
        }
        discriminators.drainGradients(into: &gradients)
        return losses
    }
}

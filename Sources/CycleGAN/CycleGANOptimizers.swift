import Config
import Tensor

/// The two Adam optimizers of CycleGAN: one over the `G` group, one over the `D` group.
/// Their moments and step counts are checkpointed.
public struct CycleGANOptimizers: Sendable {
    public var generator: Adam
    public var discriminator: Adam

    /// Fresh optimizers sized for `model` with betas and eps from `training`.
    public init(model: CycleGANModel, beta1: Float, beta2: Float, eps: Float = 1e-8) {
        generator = Adam(parameterCount: model.generators.count, beta1: beta1, beta2: beta2, eps: eps)
        discriminator = Adam(parameterCount: model.discriminators.count, beta1: beta1, beta2: beta2, eps: eps)
    }

    /// Fresh optimizers with the betas of `training` and eps 1e-8.
    public init(model: CycleGANModel, training: TrainingConfig) {
        self.init(model: model, beta1: Float(training.beta1), beta2: Float(training.beta2))
    }

    /// One Adam update of the generators with the batch-mean gradient `gradients` (layout of `model.generators`).
    public mutating func stepGenerators(_ model: CycleGANModel, gradients: [Float], lr: Double) throws(CycleGANError) {
        try Self.apply(&generator, group: model.generators, gradients: gradients, lr: lr)
    }

    /// One Adam update of the discriminators.
    public mutating func stepDiscriminators(_ model: CycleGANModel, gradients: [Float], lr: Double) throws(CycleGANError) {
        try Self.apply(&discriminator, group: model.discriminators, gradients: gradients, lr: lr)
    }

    private static func apply(_ adam: inout Adam, group: ParameterGroup, gradients: [Float], lr: Double) throws(CycleGANError) {
        guard gradients.count == group.count, adam.m.count == group.count else {
            throw .invalidSetting("the \(group.name) optimizer has \(adam.m.count) moments and \(gradients.count) gradients for \(group.count) parameters")
        }
        // In place, tensor by tensor: no flat copy of the weights to make and write back.
        gradients.withUnsafeBufferPointer { grads in
            adam.update(tensors: group.parameters.map(\.tensor), gradients: grads, lr: Float(lr))
        }
    }
}

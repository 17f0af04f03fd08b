/// CycleGAN's linear learning-rate decay: `nEpochs` epochs at the initial rate,
/// then `nEpochsDecay` epochs decaying linearly towards zero.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    /// The initial learning rate.
    public var baseRate: Double
    /// Epochs at the initial rate.
    public var nEpochs: Int
    /// Epochs of linear decay after them.
    public var nEpochsDecay: Int

    public init(baseRate: Double, nEpochs: Int, nEpochsDecay: Int) {
        self.baseRate = baseRate
        self.nEpochs = nEpochs
        self.nEpochsDecay = nEpochsDecay
    }

    /// Total epochs of the run.
    public var totalEpochs: Int { nEpochs + nEpochsDecay }

    /// The rate for epoch `epoch` (1-based):
    /// `baseRate * (1 - max(0, epoch - nEpochs) / (nEpochsDecay + 1))`,
    /// the reference's `LambdaLR` with `epoch_count` 1.
    public func rate(epoch: Int) -> Double {
        let factor = 1 - Double(max(0, epoch - nEpochs)) / Double(nEpochsDecay + 1)
        return baseRate * factor
    }
}

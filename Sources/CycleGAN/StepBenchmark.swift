import Config
import Foundation
import Tensor

/// Times full training steps (both passes, pools, both Adam updates) of a
/// freshly initialised model on random images.
public struct StepBenchmark: Sendable {
    public struct Result: Sendable {
        /// Seconds of each timed step (the warm-up step excluded).
        public let stepSeconds: [Double]
        /// Seconds of the warm-up step.
        public let warmupSeconds: Double
        /// Analytic convolution FLOPs of one step.
        public let flopsPerStep: Double
        public let parameterCount: Int

        public var minimum: Double { stepSeconds.min() ?? warmupSeconds }
        public var median: Double { stepSeconds.median ?? warmupSeconds }
        /// FLOPs per second at the median step time, in units of 1e9.
        public var gigaflopsPerSecond: Double { flopsPerStep / median / 1e9 }
    }

    public var model: ModelConfig
    public var size: Int
    public var batch: Int
    public var steps: Int
    public var seed: UInt64 = 1
    /// When set, stops once the timed steps add up to this many seconds and at least
    /// `minimumSteps` were timed (`steps` stays the maximum): `herd plan`'s reduced count.
    public var timeBudget: Double?
    public var minimumSteps = 2

    public init(model: ModelConfig, size: Int, batch: Int, steps: Int) {
        self.model = model
        self.size = size
        self.batch = batch
        self.steps = steps
    }

    /// Runs one warm-up step and `steps` timed steps; `progress` is called after each with (step, seconds).
    public func run(progress: (Int, Double) -> Void = { _, _ in }) throws(CycleGANError) -> Result {
        guard size % 4 == 0, size >= 32, batch >= 1, steps >= 1 else {
            throw .invalidSetting("bench needs size a multiple of 4 of at least 32, batch >= 1 and steps >= 1 (got \(size), \(batch), \(steps))")
        }
        let network = try CycleGANModel(architecture: model, seed: seed)
        var random = KeyedRandom(seed: seed, keys: [RandomStream.benchData.rawValue])
        let per = 3 * size * size
        func images() -> [[Float]] {
            (0..<batch).map { _ in (0..<per).map { _ in Float(random.nextUnitDouble() * 2 - 1) } }
        }
        let batchA = images()
        let batchB = images()
        var optimizers = CycleGANOptimizers(model: network, beta1: 0.5, beta2: 0.999)
        var poolA = ImagePool(capacity: 50, seed: 1)
        var poolB = ImagePool(capacity: 50, seed: 2)
        let step = TrainingStep(model: network, weights: LossWeights(), microBatch: batch)
        var times: [Double] = []
        var warmup = 0.0
        for index in 0...steps {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try step.run(batchA: batchA, batchB: batchB, height: size, width: size, lr: 2e-4,
                             optimizers: &optimizers, poolA: &poolA, poolB: &poolB)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if index == 0 { warmup = seconds } else { times.append(seconds) }
            progress(index, seconds)
            if let timeBudget, times.count >= minimumSteps, times.reduce(0, +) >= timeBudget { break }
        }
        return Result(stepSeconds: times, warmupSeconds: warmup,
                      flopsPerStep: FlopCount.trainingStep(model, size: size, batch: batch),
                      parameterCount: network.parameterCount)
    }
}

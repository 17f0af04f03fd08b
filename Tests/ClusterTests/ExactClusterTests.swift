import Config
import CycleGAN
import Foundation
import Testing
@testable import Cluster
@testable import CycleGANCluster

/// The files of the newest checkpoint of the run in `directory`/`name`, as compared for
/// "byte-identical": `tensors.f32` (every parameter, both Adam states, both pools) and the
/// manifest's `training` record (epoch, steps, Adam step counts, pool RNG states). The
/// manifest's `config` names the run's own directories, so it is left out.
struct CheckpointBytes: Equatable {
    let tensors: Data
    let training: JSONValue?
    let path: String

    init(run directory: String) throws {
        let store = CheckpointStore(directory: directory, keep: 100)
        path = try #require(store.latest(), "no checkpoint in \(directory)")
        tensors = try Data(contentsOf: URL(fileURLWithPath: path + "/" + TensorArchive.dataFileName))
        training = try TensorArchive.read(directory: path).metadata["training"]
    }

    static func == (a: Self, b: Self) -> Bool { a.tensors == b.tensors && a.training == b.training }
}

/// `herd train` with `config` (into `directory`): its newest checkpoint.
func herdTrainCheckpoint(_ config: RunConfig, directory: String) throws -> CheckpointBytes {
    var c = config
    c.checkpoint.directory = directory
    let source = try SampleSource(root: c.data.root, data: c.data, seed: c.training.seed)
    let trainer = try Trainer(config: c, source: source, validation: nil, resume: false)
    try trainer.run()
    return try CheckpointBytes(run: directory + "/" + c.name)
}

@Suite(.serialized) struct ExactClusterTests {
    /// One cluster configuration: global batch, micro-batch, workers, and the speeds the slots
    /// of each step are split by (cycled by step; a 0 weight counts as the mean, so `0.01`
    /// is used to starve a worker).
    struct Case: Sendable, CustomTestStringConvertible {
        var batch: Int
        var micro: Int
        var workers: Int
        var speeds: [[Double]]
        var testDescription: String { "batch \(batch), micro-batch \(micro), \(workers) worker(s), speeds \(speeds)" }
    }

    static let cases: [Case] = [
        Case(batch: 3, micro: 1, workers: 1, speeds: [[1]]),
        Case(batch: 3, micro: 1, workers: 3, speeds: [[1, 1, 1], [5, 1, 0.01], [0.01, 1, 4]]),
        Case(batch: 3, micro: 2, workers: 2, speeds: [[1, 1], [0.01, 1], [3, 1]]),
        Case(batch: 4, micro: 1, workers: 2, speeds: [[3, 1], [1, 3], [1, 1]]),
        Case(batch: 4, micro: 2, workers: 3, speeds: [[1, 1, 1], [1, 0.01, 5], [2, 1, 1]]),
        Case(batch: 4, micro: 1, workers: 3, speeds: [[1, 2, 1], [4, 1, 1], [1, 1, 6]]),
        Case(batch: 5, micro: 2, workers: 2, speeds: [[1, 1], [5, 1], [1, 5]]),
        Case(batch: 5, micro: 1, workers: 3, speeds: [[1, 1, 1], [3, 1, 1], [1, 0.01, 3]]),
        Case(batch: 5, micro: 2, workers: 1, speeds: [[1]]),
    ]

    /// Every case ends with the checkpoint `herd train` writes, byte for byte: the workers take
    /// whole micro-batches, keep each one's gradient apart and add them to the ring's running
    /// sum in slot order, the order `herd train` adds them in.
    @Test(arguments: cases)
    func finalCheckpointIsByteIdenticalToHerdTrain(_ c: Case) throws {
        let tiny = try TinyCycleGAN()
        tiny.config.training.batchSize = c.batch
        tiny.config.training.microBatch = c.micro
        tiny.config.training.nEpochs = 1; tiny.config.training.nEpochsDecay = 1   // 6 samples: 2-4 steps
        let reference = try herdTrainCheckpoint(tiny.config, directory: tiny.root + "/reference")
        let cluster = try Self.run(tiny, c)
        #expect(cluster == reference, "\(c.testDescription): \(cluster.path) differs from \(reference.path)")
    }

    /// Runs `c` on an in-process cluster; its coordinator's newest checkpoint.
    static func run(_ tiny: TinyCycleGAN, _ c: Case) throws -> CheckpointBytes {
        let cluster = ToyCluster()
        var config = tiny.config
        config.checkpoint.directory = cluster.directory
        let speeds = c.speeds
        let port = try cluster.startCoordinator(minWorkers: c.workers, model: try CycleGANRun(config: config), batchSize: c.batch,
                                                configJSON: tiny.json) { options in
            options.speedsForStep = { step, names in
                names.count == c.workers ? speeds[(step - 1) % speeds.count] : nil
            }
        }
        for i in 0..<c.workers { cluster.startWorker("w\(i)", port: port, model: try CycleGANReplica(config: tiny.config)) }
        try #require(cluster.waitForEnd(timeout: 120), "\(cluster.transcript)")
        #expect(cluster.coordinatorError.get() == nil, "\(cluster.transcript)")
        // Every member runs the same all-reduces, a starved one included: none fails, no step is redone.
        #expect(!cluster.transcript.contains("all-reduce failed") && !cluster.transcript.contains("dropped"), "\(cluster.transcript)")
        return try CheckpointBytes(run: cluster.directory + "/" + config.name)
    }

    /// Two runs of the same cluster configuration end with the same bytes (and `herd train`'s).
    @Test func twoRunsOfOneClusterConfigurationAreByteIdentical() throws {
        let c = Case(batch: 4, micro: 1, workers: 2, speeds: [[2, 1], [1, 1]])
        let tiny = try TinyCycleGAN()
        tiny.config.training.batchSize = c.batch
        tiny.config.training.nEpochs = 1; tiny.config.training.nEpochsDecay = 1
        let first = try Self.run(tiny, c)
        let second = try Self.run(tiny, c)
        #expect(first == second)
    }

    /// The split follows whole micro-batches: nobody gets half of one.
    @Test func slotRangesCutOnlyAtMicroBatchBoundaries() {
        for slots in 1...9 {
            for micro in 1...3 {
                for speeds in [[1.0], [1, 1], [5, 1, 0.01], [1, 2, 3, 4]] {
                    let ranges = SlotAllocator.ranges(slots: slots, microBatch: micro, speeds: speeds)
                    #expect(ranges.count == speeds.count)
                    #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == slots)
                    for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                    for r in ranges { #expect((r.lowerBound % micro == 0 || r.isEmpty) && (r.upperBound % micro == 0 || r.upperBound == slots)) }
                }
            }
        }
        #expect(SlotAllocator.ranges(slots: 5, microBatch: 2, speeds: [1, 1]) == [0..<4, 4..<5])
        #expect(SlotAllocator.ranges(slots: 4, microBatch: 1, speeds: [3, 1]) == [0..<3, 3..<4])
    }
}

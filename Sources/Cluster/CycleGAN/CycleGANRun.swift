import Config
import CycleGAN
import Foundation
import Imaging
import Tensor

/// The coordinator's side of a CycleGAN run: the dataset (`SampleSource`), the
/// learning-rate schedule, both image pools (run here only, in global slot order),
/// checkpoints in CycleGAN's format and the validation gallery.
public final class CycleGANRun: RunModel {
    let config: RunConfig
    let source: SampleSource
    let schedule: LearningRateSchedule
    let model: CycleGANModel
    var optimizers: CycleGANOptimizers
    var poolA: ImagePool
    var poolB: ImagePool
    let store: CheckpointStore
    public let runDirectory: String
    let validationSet: ValidationSet
    let imageCount: Int
    /// Blobs of recent samples (a step's two images are asked for once per plan).
    var blobCache: [Int: [Blob]] = [:]

    /// Loads the dataset and prepares the model used to initialise and checkpoint.
    /// - Throws: `ClusterError.model` naming the dataset or setting that is wrong.
    public init(config: RunConfig) throws(ClusterError) {
        self.config = config
        do {
            source = try SampleSource(root: config.data.root, data: config.data, seed: config.training.seed)
            model = try CycleGANModel(architecture: config.model, seed: config.training.seed)
        } catch {
            throw .model("\(error)")
        }
        for skipped in source.skipped { print("skipping \(skipped)") }
        schedule = LearningRateSchedule(baseRate: config.training.lr, nEpochs: config.training.nEpochs, nEpochsDecay: config.training.nEpochsDecay)
        let fresh = TrainingState(config: config, model: model)
        optimizers = fresh.optimizers
        poolA = fresh.poolA
        poolB = fresh.poolB
        runDirectory = config.checkpoint.directory + "/" + config.name
        store = CheckpointStore(directory: runDirectory, keep: config.checkpoint.keep)
        validationSet = ValidationSet.load(root: config.data.root, validation: config.validation, size: config.data.cropSize)
        imageCount = 3 * config.data.cropSize * config.data.cropSize
    }

    public var epochLength: Int { source.epochLength }
    public var totalEpochs: Int { schedule.totalEpochs }
    public var fakeCount: Int { 2 * imageCount }
    public var lossNames: [String] { CycleGANReplica.lossNames }
    public func learningRate(epoch: Int) -> Double { schedule.rate(epoch: epoch) }

    public func blobs(epoch: Int, index: Int) throws -> [Blob] {
        let key = epoch &* 1_000_003 &+ index
        if let cached = blobCache[key] { return cached }
        let sample = source.sample(epoch: epoch, index: index)
        let blobs = [FloatBlob.encode(sample.a), FloatBlob.encode(sample.b)]
        if blobCache.count > 4096 { blobCache = [:] }
        blobCache[key] = blobs
        return blobs
    }

    public func initialState() throws -> ReplicaState {
        CycleGANStateLayout.state(model: model, optimizers: optimizers, step: 0)
    }

    public func exchange(_ fakes: [[Float]]) throws -> [[Float]] {
        fakes.map { f in poolA.query(Array(f[0..<imageCount])) + poolB.query(Array(f[imageCount...])) }
    }

    struct Pools: Sendable { var a: ImagePool; var b: ImagePool }
    public func exchangeSnapshot() -> any Sendable { Pools(a: poolA, b: poolB) }
    public func restoreExchange(_ snapshot: any Sendable) throws {
        guard let p = snapshot as? Pools else { throw ClusterError.model("not a pool snapshot") }
        poolA = p.a; poolB = p.b
    }

    func progress(globalStep: Int) -> TrainingProgress {
        let perEpoch = (source.epochLength + config.training.batchSize - 1) / config.training.batchSize
        return TrainingProgress(epoch: globalStep / perEpoch + 1, stepInEpoch: globalStep % perEpoch, globalStep: globalStep)
    }

    public func saveCheckpoint(_ state: ReplicaState) throws -> String {
        try CycleGANStateLayout(model: model).load(state, into: model, optimizers: &optimizers)
        let training = TrainingState(config: config, progress: progress(globalStep: state.step), optimizers: optimizers, poolA: poolA, poolB: poolB)
        let archive = try Checkpoint.archive(model: model, state: training)
        return try store.save(archive, globalStep: state.step)
    }

    public func loadLatestCheckpoint() throws -> ReplicaState? {
        guard let path = store.latest() else { return nil }
        let archive = try TensorArchive.read(directory: path)
        let restored = try Checkpoint.restore(archive, into: model, path: path)
        optimizers = restored.optimizers
        poolA = restored.poolA
        poolB = restored.poolB
        return CycleGANStateLayout.state(model: model, optimizers: optimizers, step: restored.progress.globalStep)
    }

    public func validationItems(epoch: Int) throws -> [(item: ValidationItem, blob: Blob)] {
        var items: [(item: ValidationItem, blob: Blob)] = []
        for (domain, prefix, list) in [(0, "A", validationSet.itemsA), (1, "B", validationSet.itemsB)] {
            for item in list {
                let blob = FloatBlob.encode(item.values)
                items.append((ValidationItem(name: prefix + "_" + item.name, domain: domain, digest: blob.digest), blob))
            }
        }
        return items
    }

    /// Writes `val/epoch_NNN/<name>.png` (names were chosen by this coordinator) and the gallery index.
    public func storeValidation(epoch: Int, results: [ValidationResult]) throws -> String {
        let validationDirectory = runDirectory + "/val"
        let directory = ValidationGallery.epochDirectory(validationDirectory, epoch: epoch)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let allowed = Set(try validationItems(epoch: epoch).map(\.item.name))
        for r in results where allowed.contains(r.name) {
            let path = directory + "/" + r.name + ".png"
            // Data.write(.atomic) writes a temporary file and renames it over the target.
            try Data(r.png).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        try ValidationGallery.writeIndex(validationDirectory: validationDirectory)
        return directory
    }
}

import Cluster
import Config
import CycleGAN
import Foundation
import Imaging
import Tensor

/// The coordinator's side of a CycleGAN run: the dataset (the files' hashes and the
/// `SamplePlanner`; workers get the files themselves and apply the plans), the
/// learning-rate schedule, both image pools (run here only, in global slot order),
/// checkpoints in CycleGAN's format and the validation gallery.
public final class CycleGANRun: RunModel {
    let config: RunConfig
    let files: TrainingFiles
    let planner: SamplePlanner
    /// The shuffle of the latest planned epoch.
    var order: (epoch: Int, order: [Int])?
    let schedule: LearningRateSchedule
    let model: CycleGANModel
    var optimizers: CycleGANOptimizers
    var poolA: ImagePool
    var poolB: ImagePool
    let store: CheckpointStore
    public let runDirectory: String
    /// Writes `val/` (its index is kept in memory: no listing per epoch).
    let validationWriter: ValidationWriter
    let validationSet: ValidationSet
    let imageCount: Int
    /// The validation images (few: `validation.count` per side) as float crops, with their blobs.
    let validationBlobs: [(item: ValidationItem, blob: Blob)]

    /// Loads the dataset and prepares the model used to initialise and checkpoint.
    /// - Throws: `ClusterError.model` naming the dataset or setting that is wrong.
    public init(config: RunConfig) throws(ClusterError) {
        self.config = config
        do { try SampleSource.checkSizes(config.data) } catch { throw .model("\(error)") }
        files = try TrainingFiles(root: config.data.root)
        for skipped in files.skipped { print("skipping \(skipped)") }
        planner = SamplePlanner(seed: config.training.seed, countA: files.filesA.count, countB: files.filesB.count,
                                loadSize: config.data.loadSize, cropSize: config.data.cropSize, flip: config.data.flip)
        do {
            model = try CycleGANModel(architecture: config.model, seed: config.training.seed)
        } catch {
            throw .model("\(error)")
        }
        schedule = LearningRateSchedule(baseRate: config.training.lr, nEpochs: config.training.nEpochs, nEpochsDecay: config.training.nEpochsDecay)
        let fresh = TrainingState(config: config, model: model)
        optimizers = fresh.optimizers
        poolA = fresh.poolA
        poolB = fresh.poolB
        runDirectory = config.checkpoint.directory + "/" + config.name
        validationWriter = ValidationWriter(validationDirectory: runDirectory + "/val")
        store = CheckpointStore(directory: runDirectory, keep: config.checkpoint.keep)
        validationSet = ValidationSet.load(root: config.data.root, validation: config.validation, size: config.data.cropSize)
        for skipped in validationSet.skipped { print("validation image skipped: \(skipped)") }
        imageCount = 3 * config.data.cropSize * config.data.cropSize
        var items: [(item: ValidationItem, blob: Blob)] = []
        for (domain, prefix, list) in [(0, "A", validationSet.itemsA), (1, "B", validationSet.itemsB)] {
            for item in list {
                let blob = FloatBlob.encode(item.values)
                items.append((ValidationItem(name: prefix + "_" + item.name, domain: domain, digest: blob.digest), blob))
            }
        }
        validationBlobs = items
    }

    /// Prepares the run directory of `config` before the coordinator starts: refuses an earlier
    /// run unless `resume` or `fresh` (which discards it), removes unfinished checkpoint writes
    /// and checks the directory is writable. Returns what was done, for the log.
    /// - Throws: `RunDirectoryError` saying what to do.
    public static func prepareRunDirectory(config: RunConfig, resume: Bool, fresh: Bool) throws -> [String] {
        let store = CheckpointStore(directory: config.checkpoint.directory + "/" + config.name, keep: config.checkpoint.keep)
        return try store.prepare(resume ? .resume : fresh ? .fresh : .new)
    }

    public var epochLength: Int { planner.epochLength }
    public var totalEpochs: Int { schedule.totalEpochs }
    public var exchangeCount: Int { 2 * imageCount }
    public var lossNames: [String] { CycleGANReplica.lossNames }
    public var microBatch: Int { max(1, config.training.microBatch) }
    public func learningRate(epoch: Int) -> Double { schedule.rate(epoch: epoch) }

    /// The sample's two files (by SHA-256) and its `SamplePlan`'s crops, as `SampleSource` would use them.
    public func sample(epoch: Int, index: Int) throws -> SampleSpec {
        if order?.epoch != epoch { order = (epoch, planner.order(epoch: epoch)) }
        let plan = planner.plan(epoch: epoch, index: index, order: order?.order)
        let a = files.filesA[plan.indexA], b = files.filesB[plan.indexB]
        let slotPlan = CycleGANSlotPlan(cropA: plan.cropA, cropB: plan.cropB, nameA: a.name, nameB: b.name)
        return SampleSpec(digests: [a.digest, b.digest], plan: slotPlan.encoded)
    }

    /// A training file (read from disk now) or a validation image.
    public func blob(digest: [UInt8]) throws -> Blob? {
        if let blob = try files.blob(digest: digest) { return blob }
        return validationBlobs.first { $0.blob.digest == digest }?.blob
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
        let perEpoch = (planner.epochLength + config.training.batchSize - 1) / config.training.batchSize
        return TrainingProgress(epoch: globalStep / perEpoch + 1, stepInEpoch: globalStep % perEpoch, globalStep: globalStep)
    }

    public func saveCheckpoint(_ state: ReplicaState) throws -> String {
        try CycleGANStateLayout(model: model).load(state, into: model, optimizers: &optimizers)
        let training = TrainingState(config: config, progress: progress(globalStep: state.step), optimizers: optimizers, poolA: poolA, poolB: poolB)
        let archive = try Checkpoint.archive(model: model, state: training)
        return try store.save(archive, globalStep: state.step)
    }

    /// Restores the newest intact checkpoint (verified by its SHA-256 checksums); a damaged
    /// newer one is moved aside to `NAME.corrupt`, saying so. Nil when the run has none.
    public func loadLatestCheckpoint() throws -> ReplicaState? {
        guard let found = try store.loadNewestIntact({ [model] (path) throws(ArchiveError) in
            let archive = try Checkpoint.read(directory: path)
            return (state: try Checkpoint.restore(archive, into: model, path: path), verified: archive.isChecksummed)
        }) else { return nil }
        for skipped in found.skipped {
            let aside = store.moveAside(skipped.path)
            print("skipping a damaged checkpoint: \(skipped.error)" + (aside.map { "; moved aside to \($0)" } ?? ""))
        }
        if !found.skipped.isEmpty { print("resuming from the newest intact checkpoint, \(found.path)") }
        if !found.value.verified { print(Checkpoint.unverifiedNote(found.path)) }
        let restored = found.value.state
        optimizers = restored.optimizers
        poolA = restored.poolA
        poolB = restored.poolB
        return CycleGANStateLayout.state(model: model, optimizers: optimizers, step: restored.progress.globalStep)
    }

    public func validationItems(epoch: Int) throws -> [(item: ValidationItem, blob: Blob)] { validationBlobs }

    /// Writes `val/epoch_NNN/<name>.png` (names were chosen by this coordinator), `grid.png`
    /// (the rows stacked, as `herd train` writes it) and the gallery index.
    /// - Throws: `ClusterError.model` naming a row a worker sent that is not a decodable
    ///   PNG of the expected size (the other rows are written first).
    public func storeValidation(epoch: Int, results: [ValidationResult]) throws -> String {
        let byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let size = config.data.cropSize
        var rows: [ValidationRow] = []
        var problems: [String] = []
        for (item, _) in validationBlobs {
            guard let result = byName[item.name] else { continue }
            do {
                let image = try ImageCodec.decode(result.png)
                guard image.width == 3 * size, image.height == size, image.channels == 3, image.bitDepth == 8 else {
                    problems.append("\(item.name) is \(image.width)x\(image.height)x\(image.channels), not \(3 * size)x\(size) RGB")
                    continue
                }
                rows.append(ValidationRow(name: item.name, image: image))
            } catch {
                problems.append("\(item.name) is not a readable PNG (\(error))")
            }
        }
        let directory = try validationWriter.write(rows: rows, epoch: epoch)
        guard problems.isEmpty else {
            throw ClusterError.model("validation images of epoch \(epoch) left out: " + problems.joined(separator: "; "))
        }
        return directory
    }
}

import Config
import Foundation
import Tensor

/// A training checkpoint: a `cyclegan-parity-1` archive holding
/// - every parameter under its name (`G_AB.inp.weight`, ...),
/// - both Adam states (`adam_G/m/NAME`, `adam_G/v/NAME`, `adam_D/m/NAME`, `adam_D/v/NAME`),
/// - both image pools (`pool/A`, `pool/B`: `[count, 3, s, s]`, or `[count, values]` for non-square images),
/// and in `manifest.json`: `config` (the ``RunConfig``), `training` (epoch, step in epoch,
/// global step, Adam step counts, pool generator states as hex words).
public enum Checkpoint {
    /// The `kind` tag of checkpoint manifests.
    public static let kind = "herd-checkpoint-1"

    /// Builds the archive for `model` and `state`.
    public static func archive(model: CycleGANModel, state: TrainingState) throws(ArchiveError) -> TensorArchive {
        var archive = TensorArchive(metadata: [
            "kind": .string(kind),
            "config": try encodeConfig(state.config),
            "training": .object([
                "epoch": .int(state.progress.epoch),
                "step_in_epoch": .int(state.progress.stepInEpoch),
                "global_step": .int(state.progress.globalStep),
                "adam_G_step": .int(state.optimizers.generator.step),
                "adam_D_step": .int(state.optimizers.discriminator.step),
                "pool_A_random": .array(state.poolA.random.stateWords.map { .string(hex($0)) }),
                "pool_B_random": .array(state.poolB.random.stateWords.map { .string(hex($0)) }),
                "pool_capacity": .int(state.poolA.capacity),
            ]),
        ])
        try model.store(into: &archive)
        try archive.append(flat: state.optimizers.generator.m, layout: model.generators.layout, prefix: "adam_G/m/")
        try archive.append(flat: state.optimizers.generator.v, layout: model.generators.layout, prefix: "adam_G/v/")
        try archive.append(flat: state.optimizers.discriminator.m, layout: model.discriminators.layout, prefix: "adam_D/m/")
        try archive.append(flat: state.optimizers.discriminator.v, layout: model.discriminators.layout, prefix: "adam_D/v/")
        for (name, pool) in [("pool/A", state.poolA), ("pool/B", state.poolB)] {
            let per = pool.images.first?.count ?? 0
            let side = Int(Double(per / 3).squareRoot().rounded())
            let shape = per > 0 && 3 * side * side == per ? [pool.images.count, 3, side, side] : [pool.images.count, per]
            try archive.append(name: name, shape: shape, values: pool.images.flatMap { $0 })
        }
        return archive
    }

    /// Reads the checkpoint in `directory`, verifying the SHA-256 of its manifest and of every
    /// tensor. A checkpoint written before Herd recorded checksums (it has none at all) still
    /// loads, unverified: ``TensorArchive/isChecksummed`` is false and callers say so
    /// (``unverifiedNote(_:)``); one with only some checksums is refused.
    /// - Throws: ``ArchiveError`` naming the file (and the damaged tensor).
    public static func read(directory: String) throws(ArchiveError) -> TensorArchive {
        let archive = try TensorArchive.read(directory: directory)
        guard archive.metadata["kind"]?.stringValue == kind else {
            throw .badManifest(path: directory + "/manifest.json", reason: "is not a Herd checkpoint (kind is not \"\(kind)\")")
        }
        return archive
    }

    /// The warning for a checkpoint read without checksums to verify (written before Herd recorded them).
    public static func unverifiedNote(_ directory: String) -> String {
        "warning: \(directory) was written before checkpoints carried SHA-256 checksums, so it cannot be verified; "
            + "it is used as it is (the checkpoints written from now on carry them)"
    }

    /// Loads the parameters of the checkpoint in `archive` into `model` and returns the training state.
    /// `path` names the checkpoint in errors. Throws when a tensor is missing, has another
    /// shape than `model` needs, or the manifest's training state is malformed.
    public static func restore(_ archive: TensorArchive, into model: CycleGANModel, path: String) throws(ArchiveError) -> TrainingState {
        guard archive.metadata["kind"]?.stringValue == kind else {
            throw .badManifest(path: path, reason: "is not a Herd checkpoint (kind is not \"\(kind)\")")
        }
        let config = try decodeConfig(archive.metadata["config"], path: path + "/manifest.json")
        guard let training = archive.metadata["training"] else {
            throw .badManifest(path: path, reason: "has no 'training' object")
        }
        func int(_ key: String, atMost limit: Int = RunConfig.maximumSteps) throws(ArchiveError) -> Int {
            guard let value = training[key]?.intValue, value >= 0 else {
                throw .badManifest(path: path, reason: "training.\(key) is missing or not a non-negative integer")
            }
            guard value <= limit else {
                throw .badManifest(path: path, reason: "training.\(key) is \(value), more than the \(limit) this run can reach")
            }
            return value
        }
        func random(_ key: String) throws(ArchiveError) -> Xoshiro256 {
            let words = (training[key]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { UInt64($0, radix: 16) } }
            guard let generator = Xoshiro256(stateWords: words) else {
                throw .badManifest(path: path, reason: "training.\(key) is not four hexadecimal words, not all zero")
            }
            return generator
        }
        let totalEpochs = config.training.nEpochs + config.training.nEpochsDecay
        let globalStep = try int("global_step")
        let progress = TrainingProgress(epoch: max(1, try int("epoch", atMost: totalEpochs + 1)),
                                        stepInEpoch: try int("step_in_epoch", atMost: globalStep), globalStep: globalStep)
        try model.load(from: archive, path: path)
        var optimizers = CycleGANOptimizers(model: model, training: config.training)
        optimizers.generator.m = try archive.flat(layout: model.generators.layout, prefix: "adam_G/m/", path: path)
        optimizers.generator.v = try archive.flat(layout: model.generators.layout, prefix: "adam_G/v/", path: path)
        optimizers.discriminator.m = try archive.flat(layout: model.discriminators.layout, prefix: "adam_D/m/", path: path)
        optimizers.discriminator.v = try archive.flat(layout: model.discriminators.layout, prefix: "adam_D/v/", path: path)
        optimizers.generator.step = try int("adam_G_step", atMost: globalStep)
        optimizers.discriminator.step = try int("adam_D_step", atMost: globalStep)
        let capacity = try int("pool_capacity", atMost: config.training.poolSize)
        var pools: [ImagePool] = []
        for (name, key) in [("pool/A", "pool_A_random"), ("pool/B", "pool_B_random")] {
            guard let entry = archive[name], let count = entry.shape.first else {
                throw .missingTensor(path: path, name: name)
            }
            let per = count > 0 ? entry.values.count / count : 0
            let images = (0..<count).map { Array(entry.values[$0 * per ..< ($0 + 1) * per]) }
            guard let pool = ImagePool(capacity: capacity, images: images, random: try random(key)) else {
                throw .badState(path: path, reason: "\(name) holds \(count) images but the pool capacity is \(capacity)")
            }
            pools.append(pool)
        }
        return TrainingState(config: config, progress: progress, optimizers: optimizers, poolA: pools[0], poolB: pools[1])
    }

    /// Reads only the configuration stored in the checkpoint at `directory`, validated (with
    /// `inference`, the networks need only fit the memory to run, not to train).
    public static func readConfig(directory: String, inference: Bool = false) throws(ArchiveError) -> RunConfig {
        let path = directory + "/manifest.json"
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard let manifest = try? JSONDecoder().decode(JSONValue.self, from: bytes) else {
            throw .badManifest(path: path, reason: "not JSON")
        }
        return try decodeConfig(manifest["config"], path: path, inference: inference)
    }

    static func hex(_ value: UInt64) -> String { String(value, radix: 16) }

    static func encodeConfig(_ config: RunConfig) throws(ArchiveError) -> JSONValue {
        do {
            let data = try JSONEncoder().encode(config)
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .badManifest(path: "checkpoint", reason: "cannot encode the run configuration: \(error)")
        }
    }

    /// The manifest's `config`, validated: every field in its range, and the networks fitting
    /// this machine's memory (to train, or with `inference` only to run).
    static func decodeConfig(_ value: JSONValue?, path: String, inference: Bool = false) throws(ArchiveError) -> RunConfig {
        guard let value else { throw .badManifest(path: path, reason: "has no 'config' object") }
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw .badManifest(path: path, reason: "'config' cannot be re-encoded: \(error)")
        }
        do {
            return try RunConfig.decode(json: data, file: path, inference: inference)
        } catch {
            guard case .jsonField(_, let field, let reason) = error else {
                throw .badManifest(path: path, reason: "'config' is not a run configuration: \(error)")
            }
            throw .badManifest(path: path, reason: "config.\(field): \(reason)")
        }
    }
}

import Config
import Tensor

/// The four networks of CycleGAN: `G_AB` (A to B), `G_BA` (B to A), `D_A`
/// (judges domain A) and `D_B` (judges domain B), and their two optimizer
/// groups in the fixed order the flat buffers use:
/// `G` = all of `G_AB` then all of `G_BA`, `D` = `D_A` then `D_B`,
/// each network's parameters in archive order (see ``ResnetGenerator/parameters(prefix:)``).
///
/// A final class: its identity is its parameter tensors, which the passes
/// read and the optimizer steps overwrite in place.
public final class CycleGANModel: Sendable {
    public let architecture: ModelConfig
    public let generatorAB: ResnetGenerator
    public let generatorBA: ResnetGenerator
    public let discriminatorA: PatchDiscriminator
    public let discriminatorB: PatchDiscriminator
    /// `G_AB.*` then `G_BA.*`.
    public let generators: ParameterGroup
    /// `D_A.*` then `D_B.*`.
    public let discriminators: ParameterGroup

    /// A freshly initialised model: weights N(0, 0.02²) and zero biases, each
    /// network drawn from its own keyed stream of `seed`, so the result is
    /// identical on every machine. Throws when a width or block count is not positive.
    public init(architecture: ModelConfig, seed: UInt64) throws(CycleGANError) {
        guard architecture.ngf > 0, architecture.ndf > 0, architecture.nBlocks >= 0 else {
            throw .invalidArchitecture(
                "ngf (\(architecture.ngf)) and ndf (\(architecture.ndf)) must be positive and nBlocks (\(architecture.nBlocks)) not negative")
        }
        guard architecture.parameterBytes <= MachineMemory.physicalBytes else {
            throw .invalidArchitecture(
                "ngf \(architecture.ngf), ndf \(architecture.ndf) and \(architecture.nBlocks) blocks need "
                + "~\(ByteCount.format(architecture.parameterBytes)) of parameters, more than this machine's "
                + "\(ByteCount.format(MachineMemory.physicalBytes)) of memory")
        }
        self.architecture = architecture
        do {
            var random = KeyedRandom(seed: seed, keys: [RandomStream.initialization.rawValue, 0])
            generatorAB = try ResnetGenerator(ngf: architecture.ngf, nBlocks: architecture.nBlocks, random: &random)
            random = KeyedRandom(seed: seed, keys: [RandomStream.initialization.rawValue, 1])
            generatorBA = try ResnetGenerator(ngf: architecture.ngf, nBlocks: architecture.nBlocks, random: &random)
            random = KeyedRandom(seed: seed, keys: [RandomStream.initialization.rawValue, 2])
            discriminatorA = try PatchDiscriminator(ndf: architecture.ndf, random: &random)
            random = KeyedRandom(seed: seed, keys: [RandomStream.initialization.rawValue, 3])
            discriminatorB = try PatchDiscriminator(ndf: architecture.ndf, random: &random)
        } catch {
            throw .tensor(error)
        }
        generators = ParameterGroup(
            name: "G", parameters: generatorAB.parameters(prefix: "G_AB") + generatorBA.parameters(prefix: "G_BA"))
        discriminators = ParameterGroup(
            name: "D", parameters: discriminatorA.parameters(prefix: "D_A") + discriminatorB.parameters(prefix: "D_B"))
    }

    /// Every parameter: the `G` group then the `D` group.
    public var namedParameters: [NamedParameter] { generators.parameters + discriminators.parameters }

    /// Total number of trainable scalars.
    public var parameterCount: Int { generators.count + discriminators.count }

    /// Copies every parameter (`init/`-style names without prefix, e.g. `G_AB.inp.weight`)
    /// from `archive`, reading `prefix + name`. Throws when one is missing or has another shape.
    public func load(from archive: TensorArchive, prefix: String = "", path: String = "archive") throws(ArchiveError) {
        for group in [generators, discriminators] {
            var flat = [Float]()
            flat.reserveCapacity(group.count)
            for slot in group.layout.slots {
                flat += try archive.values(prefix + slot.name, shape: slot.shape, path: path)
            }
            group.load(flat: flat)
        }
    }

    /// Appends every parameter to `archive` as `prefix + name`.
    public func store(into archive: inout TensorArchive, prefix: String = "") throws(ArchiveError) {
        for group in [generators, discriminators] {
            let flat = group.flatValues()
            try archive.append(flat: flat, layout: group.layout, prefix: prefix)
        }
    }
}

extension TensorArchive {
    /// Appends a flat group buffer as one tensor per layout slot, named `prefix + slot name`.
    public mutating func append(flat: [Float], layout: ParameterLayout, prefix: String) throws(ArchiveError) {
        guard flat.count == layout.count else {
            throw .countMismatch(name: prefix + "*", shape: [layout.count], count: flat.count)
        }
        for slot in layout.slots {
            try append(name: prefix + slot.name, shape: slot.shape, values: Array(flat[slot.floats]))
        }
    }

    /// Reads a flat group buffer from one tensor per layout slot named `prefix + slot name`.
    public func flat(layout: ParameterLayout, prefix: String, path: String = "archive") throws(ArchiveError) -> [Float] {
        var flat = [Float]()
        flat.reserveCapacity(layout.count)
        for slot in layout.slots {
            flat += try values(prefix + slot.name, shape: slot.shape, path: path)
        }
        return flat
    }
}

/// The purposes random streams are keyed with, so no two uses share draws.
enum RandomStream: UInt64 {
    case initialization = 1
    case orderA = 2
    case pickB = 3
    case augmentA = 4
    case augmentB = 5
    case poolA = 6
    case poolB = 7
    case benchData = 8
}

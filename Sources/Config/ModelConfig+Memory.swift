import Foundation

/// How much memory a configuration's networks need, computed from the widths alone
/// (nothing is allocated), so sizes that cannot fit are refused with a figure instead
/// of crashing in the allocator.
extension ModelConfig {
    /// Scalars of one ResNet generator (section 7.2: c7s1-ngf, d2ngf, d4ngf, `nBlocks`
    /// residual blocks of two 3x3 4ngf convolutions, u2ngf, ungf, c7s1-3; every convolution
    /// has a bias, instance norms have no parameters). A `Double`: impossible widths overflow `Int`.
    public var generatorParameters: Double {
        let g = Double(ngf)
        let blocks = Double(nBlocks) * 2 * (4 * g * 4 * g * 9 + 4 * g)
        return generatorParametersOutsideBlocks + blocks
    }

    /// The generator's scalars outside the residual blocks.
    var generatorParametersOutsideBlocks: Double {
        let g = Double(ngf)
        return (3 * g * 49 + g) + (g * 2 * g * 9 + 2 * g) + (2 * g * 4 * g * 9 + 4 * g)
            + (4 * g * 2 * g * 9 + 2 * g) + (2 * g * g * 9 + g) + (g * 3 * 49 + 3)
    }

    /// Scalars of one 70x70 PatchGAN discriminator (C64-C128-C256-C512 scaled by ndf, 4x4 kernels, then a 1-channel 4x4).
    public var discriminatorParameters: Double {
        let d = Double(ndf)
        return (3 * d * 16 + d) + (d * 2 * d * 16 + 2 * d) + (2 * d * 4 * d * 16 + 4 * d)
            + (4 * d * 8 * d * 16 + 8 * d) + (8 * d * 16 + 1)
    }

    /// Scalars of all four networks (two generators, two discriminators).
    public var parameterCount: Double { 2 * generatorParameters + 2 * discriminatorParameters }

    /// Bytes of the four networks' float32 parameters.
    public var parameterBytes: Double { 4 * parameterCount }

    /// Bytes training holds per process besides activations: parameters, their gradients
    /// and Adam's two moments (4 float32 copies).
    public var trainingStateBytes: Double { 4 * parameterBytes }

    /// The key whose value makes the networks this large: the width or depth contributing most.
    var largestContributor: (key: String, value: Int) {
        let blocks = 2 * (generatorParameters - generatorParametersOutsideBlocks)
        let outside = 2 * generatorParametersOutsideBlocks
        let discriminators = 2 * discriminatorParameters
        if discriminators > blocks && discriminators > outside { return ("model.ndf", ndf) }
        if blocks > outside && Double(nBlocks) > Double(ngf) { return ("model.n_blocks", nBlocks) }
        return ("model.ngf", ngf)
    }
}

/// The memory of the machine, against which sizes are checked.
public enum MachineMemory {
    /// Physical memory in bytes.
    public static var physicalBytes: Double { Double(ProcessInfo.processInfo.physicalMemory) }
}

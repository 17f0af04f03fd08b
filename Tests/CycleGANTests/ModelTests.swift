import Config
import Datasets
import Tensor
import Testing
@testable import CycleGAN

@Suite struct ModelTests {
    private func count(_ parameters: [NamedParameter]) -> Int { parameters.reduce(0) { $0 + $1.tensor.shape.count } }

    @Test(arguments: [(9, 11_378_179), (6, 7_837_699)])
    func generatorParameterCountMatchesThePaper(blocks: Int, expected: Int) throws {
        var random = SplitMix64(seed: 1)
        let generator = try ResnetGenerator(ngf: 64, nBlocks: blocks, random: &random)
        #expect(count(generator.parameters(prefix: "G")) == expected)
    }

    @Test func discriminatorParameterCountMatchesThePaper() throws {
        var random = SplitMix64(seed: 1)
        let discriminator = try PatchDiscriminator(ndf: 64, random: &random)
        #expect(count(discriminator.parameters(prefix: "D")) == 2_764_737)
    }

    @Test func parameterNamesAndShapesFollowTheArchiveFormat() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 8, ndf: 8, blocks: 2), seed: 3)
        let names = model.generators.layout.slots.map(\.name)
        #expect(names.first == "G_AB.inp.weight")
        #expect(names.contains("G_AB.res.1.b.bias"))
        #expect(names[names.count / 2] == "G_BA.inp.weight")
        #expect(names.last == "G_BA.out.bias")
        let slots = Dictionary(uniqueKeysWithValues: model.generators.layout.slots.map { ($0.name, $0.shape) })
        #expect(slots["G_AB.inp.weight"] == [8, 3, 7, 7])
        #expect(slots["G_AB.down.1.weight"] == [32, 16, 3, 3])
        #expect(slots["G_AB.up.0.weight"] == [32, 16, 3, 3])  // transposed: [in, out, k, k]
        #expect(slots["G_AB.up.1.bias"] == [8])
        #expect(slots["G_AB.out.weight"] == [3, 8, 7, 7])
        let dNames = model.discriminators.layout.slots.map(\.name)
        #expect(dNames == ["D_A", "D_B"].flatMap { net in
            (0..<4).flatMap { ["\(net).layers.\($0).weight", "\(net).layers.\($0).bias"] } + ["\(net).out.weight", "\(net).out.bias"]
        })
        let dSlots = Dictionary(uniqueKeysWithValues: model.discriminators.layout.slots.map { ($0.name, $0.shape) })
        #expect(dSlots["D_B.layers.3.weight"] == [64, 32, 4, 4])
        #expect(dSlots["D_B.out.weight"] == [1, 64, 4, 4])
        // Offsets are contiguous in layout order.
        var offset = 0
        for slot in model.generators.layout.slots {
            #expect(slot.offset == offset)
            offset += slot.count
        }
        #expect(offset == model.generators.count)
    }

    @Test func initialisationIsNormalWithZeroBiasesAndDeterministic() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 16, ndf: 16, blocks: 2), seed: 11)
        let same = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 16, ndf: 16, blocks: 2), seed: 11)
        let other = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 16, ndf: 16, blocks: 2), seed: 12)
        #expect(model.generators.flatValues() == same.generators.flatValues())
        #expect(model.discriminators.flatValues() == same.discriminators.flatValues())
        #expect(model.generators.flatValues() != other.generators.flatValues())
        var weights: [Float] = []
        for parameter in model.namedParameters {
            if parameter.name.hasSuffix(".bias") {
                #expect(parameter.tensor.scalars.allSatisfy { $0 == 0 }, "\(parameter.name)")
            } else {
                weights += parameter.tensor.scalars
            }
        }
        let mean = weights.reduce(0.0) { $0 + Double($1) } / Double(weights.count)
        let std = (weights.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(weights.count)).squareRoot()
        #expect(abs(mean) < 0.001)
        #expect(abs(std - 0.02) < 0.0005)
        // The two generators are drawn from different streams.
        let ab = model.generatorAB.parameters(prefix: "").first?.tensor.scalars
        let ba = model.generatorBA.parameters(prefix: "").first?.tensor.scalars
        #expect(ab != ba)
    }

    @Test func generatorAndDiscriminatorOutputShapes() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(), seed: 1)
        let input = try TestSupport.randomImageTensor(count: 2, size: 32, seed: 1)
        let output = try model.generatorAB(input)
        #expect(output.shape.dims == [2, 3, 32, 32])
        #expect(output.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(try model.discriminatorA(input).shape.dims == [2, 1, 2, 2])
    }

    @Test func rejectsUnusableArchitecturesAndBatches() throws {
        #expect(throws: CycleGANError.self) { try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 0), seed: 1) }
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(), seed: 1)
        var gradients = model.generators.zeroBuffer()
        let odd = try Tensor(shape: [1, 3, 30, 30], scalars: [Float](repeating: 0, count: 2700))
        #expect(throws: CycleGANError.self) {
            try model.generatorPass(realA: odd, realB: odd, scale: 1, weights: LossWeights(), gradients: &gradients)
        }
        let good = try TestSupport.randomImageTensor(count: 1, size: 32, seed: 1)
        var wrongSize = [Float](repeating: 0, count: 5)
        #expect(throws: CycleGANError.self) {
            try model.generatorPass(realA: good, realB: good, scale: 1, weights: LossWeights(), gradients: &wrongSize)
        }
    }

    @Test func generatorPassAccumulatesAndLeavesDiscriminatorsUntouched() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(), seed: 1)
        let a = try TestSupport.randomImageTensor(count: 1, size: 32, seed: 1)
        let b = try TestSupport.randomImageTensor(count: 1, size: 32, seed: 2)
        var once = model.generators.zeroBuffer()
        let first = try model.generatorPass(realA: a, realB: b, scale: 1, weights: LossWeights(), gradients: &once)
        var twice = model.generators.zeroBuffer()
        _ = try model.generatorPass(realA: a, realB: b, scale: 0.5, weights: LossWeights(), gradients: &twice)
        _ = try model.generatorPass(realA: a, realB: b, scale: 0.5, weights: LossWeights(), gradients: &twice)
        let difference = zip(once, twice).map { abs($0 - $1) }.max() ?? 0
        let largest = once.map { abs($0) }.max() ?? 0
        #expect(largest > 0)
        #expect(difference <= 1e-5 * largest)
        #expect(model.discriminators.parameters.allSatisfy { ($0.tensor.grad?.scalars ?? []).allSatisfy { $0 == 0 } })
        #expect(abs(first.losses.total - (first.losses.ganAB + first.losses.ganBA + first.losses.cycleA + first.losses.cycleB
                                          + first.losses.identityA + first.losses.identityB)) < 1e-12)
        #expect(first.outputs.fakeB.shape.dims == [1, 3, 32, 32])
        #expect(first.outputs.fakeB.requiresGrad == false)
    }

    /// `fakesReady` hands over both fakes mid-pass (the A cycle's gradient is in, not yet
    /// drained into the buffer), once, equal to the outputs, and changes no bit of the gradient.
    @Test func generatorPassHandsTheFakesOverBeforeItEnds() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(), seed: 1)
        let a = try TestSupport.randomImageTensor(count: 2, size: 32, seed: 1)
        let b = try TestSupport.randomImageTensor(count: 2, size: 32, seed: 2)
        var plain = model.generators.zeroBuffer()
        let reference = try model.generatorPass(realA: a, realB: b, scale: 0.5, weights: LossWeights(), gradients: &plain)
        var hooked = model.generators.zeroBuffer()
        var handed: [(fakeA: [Float], fakeB: [Float], gradientPending: Bool)] = []
        let pass = try model.generatorPass(realA: a, realB: b, scale: 0.5, weights: LossWeights(), gradients: &hooked,
                                           fakesReady: { fakeA, fakeB in
            let pending = model.generators.parameters.contains { ($0.tensor.grad?.scalars ?? []).contains { $0 != 0 } }
            handed.append((fakeA.scalars, fakeB.scalars, pending))
        })
        #expect(handed.count == 1)
        #expect(handed.first?.fakeA == pass.outputs.fakeA.scalars && handed.first?.fakeB == pass.outputs.fakeB.scalars)
        #expect(handed.first?.gradientPending == true, "the fakes must come before the pass ends")
        #expect(model.generators.parameters.allSatisfy { ($0.tensor.grad?.scalars ?? []).allSatisfy { $0 == 0 } })
        #expect(hooked == plain && pass.outputs.fakeA.scalars == reference.outputs.fakeA.scalars)
        #expect(pass.losses.total == reference.losses.total)
    }

    @Test func flopCountMatchesTheLayerShapes() throws {
        // Each convolution costs 2 · (weights) · (output pixels); derive it from the model's own shapes.
        let architecture = TestSupport.tinyModel(ngf: 4, ndf: 4, blocks: 3)
        let model = try CycleGANModel(architecture: architecture, seed: 1)
        let size = 64
        let pixels: [String: Int] = [
            "inp": size * size, "down.0": (size / 2) * (size / 2), "down.1": (size / 4) * (size / 4),
            "up.0": (size / 4) * (size / 4), "up.1": (size / 2) * (size / 2), "out": size * size,
        ]
        var generatorFlops = 0.0
        for parameter in model.generatorAB.parameters(prefix: "G") where parameter.name.hasSuffix(".weight") {
            let layer = String(parameter.name.dropFirst(2).dropLast(7))
            let outPixels = layer.hasPrefix("res.") ? (size / 4) * (size / 4) : (pixels[layer] ?? -1)
            generatorFlops += 2 * Double(parameter.tensor.shape.count) * Double(outPixels)
        }
        #expect(FlopCount.generator(architecture, size: size, batch: 1).total == generatorFlops)
        #expect(FlopCount.generator(architecture, size: size, batch: 3).total == 3 * generatorFlops)
        let dPixels = [size / 2, size / 4, size / 8, size / 8 - 1, size / 8 - 2].map { $0 * $0 }
        let dWeights = model.discriminatorA.parameters(prefix: "D").filter { $0.name.hasSuffix(".weight") }
        let discriminatorFlops = zip(dWeights, dPixels).reduce(0.0) { $0 + 2 * Double($1.0.tensor.shape.count) * Double($1.1) }
        #expect(FlopCount.discriminator(architecture, size: size, batch: 1).total == discriminatorFlops)
        #expect(FlopCount.trainingStep(architecture, size: size, batch: 1) > 6 * 3 * generatorFlops * 0.9)
    }
}

@Suite struct ProcessMemoryTests {
    @Test func peakResidentMemoryIsReadOnLinux() throws {
        #if os(Linux)
        // Read the current size first: other tests run in parallel and may grow
        // the process between the two reads, and only the high-water mark taken
        // *after* a reading is sure to be at least that reading.
        let current = try #require(ProcessMemory.residentBytes())
        let peak = try #require(ProcessMemory.peakResidentBytes())
        #expect(peak >= current)
        #expect(current > 1 << 20)
        #endif
    }
}

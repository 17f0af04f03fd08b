import Tensor
import Testing
@testable import CycleGAN

/// A cluster worker runs the discriminators one at a time (`D_A` on every micro-batch, then
/// `D_B`) so `D_A`'s sum can cross the ring while `D_B` computes; `herd train` runs both per
/// micro-batch. These hold that the two orders give the same bits.
@Suite struct DiscriminatorPieceTests {
    private let size = 32

    private func batch(_ seed: UInt64) throws -> [Tensor] {
        try (0..<4).map { i in try TestSupport.randomImageTensor(count: 1, size: size, seed: seed + UInt64(i)) }
    }

    @Test func theTwoDiscriminatorsRangesCutTheDBufferAtD_B() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 4, ndf: 4, blocks: 1), seed: 5)
        let a = model.discriminatorRange(.a), b = model.discriminatorRange(.b)
        #expect(a.lowerBound == 0 && a.upperBound == b.lowerBound && b.upperBound == model.discriminators.count)
        let firstOfB = try #require(model.discriminators.layout.slots.first { $0.name.hasPrefix("D_B.") })
        #expect(b.lowerBound == firstOfB.offset)
    }

    @Test func oneDiscriminatorsPassAddsToItsOwnFloatsOnly() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 4, ndf: 4, blocks: 1), seed: 5)
        let images = try batch(1)
        var gradients = model.discriminators.zeroBuffer()
        let loss = try model.discriminatorPass(.a, real: images[0], pooledFake: images[2], scale: 0.5, gradients: &gradients)
        #expect(loss > 0)
        let a = model.discriminatorRange(.a)
        #expect(gradients[a].contains { $0 != 0 })
        #expect(gradients[a.upperBound...].allSatisfy { $0 == 0 })
    }

    @Test func sideBySideOverMicroBatchesGivesTheBitsOfBothPerMicroBatch() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 4, ndf: 4, blocks: 1), seed: 5)
        let micro = [try batch(10), try batch(20), try batch(30)]   // realA, realB, fakeA, fakeB each
        let scale: Float = 1.0 / 3
        var together = model.discriminators.zeroBuffer()
        var togetherLosses: [Double] = []
        for m in micro {
            let l = try model.discriminatorPass(realA: m[0], realB: m[1], pooledFakeA: m[2], pooledFakeB: m[3], scale: scale, gradients: &together)
            togetherLosses += [l.discriminatorA, l.discriminatorB]
        }
        var apart = model.discriminators.zeroBuffer()
        var lossesA: [Double] = [], lossesB: [Double] = []
        for m in micro { lossesA.append(try model.discriminatorPass(.a, real: m[0], pooledFake: m[2], scale: scale, gradients: &apart)) }
        for m in micro { lossesB.append(try model.discriminatorPass(.b, real: m[1], pooledFake: m[3], scale: scale, gradients: &apart)) }
        #expect(together.map(\.bitPattern) == apart.map(\.bitPattern))
        #expect(togetherLosses == zip(lossesA, lossesB).flatMap { [$0, $1] })
    }

    @Test func aPassWithFakesOfAnotherShapeChangesNothing() throws {
        let model = try CycleGANModel(architecture: TestSupport.tinyModel(ngf: 4, ndf: 4, blocks: 1), seed: 5)
        let images = try batch(1)
        let small = try TestSupport.randomImageTensor(count: 1, size: 16, seed: 9)
        var gradients = model.discriminators.zeroBuffer()
        #expect(throws: CycleGANError.self) {
            try model.discriminatorPass(realA: images[0], realB: images[1], pooledFakeA: images[2], pooledFakeB: small,
                                        scale: 1, gradients: &gradients)
        }
        #expect(gradients.allSatisfy { $0 == 0 })
    }
}

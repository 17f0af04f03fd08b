import Config
import Imaging
import Testing
@testable import CycleGAN

@Suite struct SampleSourceTests {
    /// An image whose pixel (x, y) has red x, green y, blue `tag`.
    static func coordinateImage(side: Int, tag: UInt8) -> Image {
        var pixels: [UInt8] = []
        for y in 0..<side {
            for x in 0..<side { pixels += [UInt8(x), UInt8(y), tag] }
        }
        return Image(width: side, height: side, channels: 3, bitDepth: 8, pixels: pixels)
    }

    static func source(countA: Int = 3, countB: Int = 5, load: Int = 40, crop: Int = 32, flip: Bool = true, seed: UInt64 = 1) throws -> SampleSource {
        var data = DataConfig()
        data.loadSize = load
        data.cropSize = crop
        data.flip = flip
        return try SampleSource(imagesA: (0..<countA).map { coordinateImage(side: load, tag: UInt8($0)) },
                                imagesB: (0..<countB).map { coordinateImage(side: load, tag: UInt8(100 + $0)) },
                                data: data, seed: seed)
    }

    @Test func anEpochIsTheLargerDomainAndVisitsEveryAImage() throws {
        let source = try Self.source()
        #expect(source.epochLength == 5)
        let order = source.order(epoch: 1)
        #expect(order.sorted() == Array(0..<5))
        let aIndices = (0..<5).map { source.indices(epoch: 1, index: $0).a }
        #expect(Set(aIndices) == Set(0..<3))
        #expect(source.order(epoch: 1) == order)
        // Over several epochs the order changes.
        #expect((2...6).contains { source.order(epoch: $0) != order })
    }

    @Test func samplesAreRecomputableAndDependOnSeedEpochAndIndex() throws {
        let source = try Self.source()
        let again = try Self.source()
        let other = try Self.source(seed: 2)
        let first = source.sample(epoch: 3, index: 2)
        #expect(first.a == again.sample(epoch: 3, index: 2).a)
        #expect(first.b == again.sample(epoch: 3, index: 2).b)
        let all = (1...4).flatMap { e in (0..<5).map { source.sample(epoch: e, index: $0).a } }
        #expect(Set(all.map { $0.prefix(8).description }).count > 5)
        let otherAll = (1...4).flatMap { e in (0..<5).map { other.sample(epoch: e, index: $0).a } }
        #expect(all != otherAll)
    }

    @Test func samplesAreCropsOrMirroredCropsScaledToPlusMinusOne() throws {
        let source = try Self.source()
        let crop = 32
        var sawFlip = false
        var sawPlain = false
        for index in 0..<5 {
            for epoch in 1...4 {
                let (a, b) = source.sample(epoch: epoch, index: index)
                #expect(a.count == 3 * crop * crop && b.count == 3 * crop * crop)
                #expect(a.allSatisfy { $0 >= -1 && $0 <= 1 })
                // Decode the crop from the coordinate pattern: red = x, green = y.
                let pixel: (Int, Int) -> (Int, Int) = { x, y in
                    (Int(((a[y * crop + x] + 1) * 127.5).rounded()), Int(((a[crop * crop + y * crop + x] + 1) * 127.5).rounded()))
                }
                let (x0, y0) = pixel(0, 0)
                let (x1, _) = pixel(crop - 1, 0)
                #expect((0...8).contains(y0))
                if x1 > x0 {
                    sawPlain = true
                    #expect(x1 - x0 == crop - 1)
                } else {
                    sawFlip = true
                    #expect(x0 - x1 == crop - 1)
                }
                #expect(pixel(0, crop - 1).1 == y0 + crop - 1)
                // Blue identifies the image: the A index of this sample.
                let blue = Int(((a[2 * crop * crop] + 1) * 127.5).rounded())
                #expect(blue == source.indices(epoch: epoch, index: index).a)
                let blueB = Int(((b[2 * crop * crop] + 1) * 127.5).rounded())
                #expect(blueB == 100 + source.indices(epoch: epoch, index: index).b)
            }
        }
        #expect(sawFlip && sawPlain)
    }

    @Test func aPlannerThatKnowsOnlyTheDomainSizesReproducesEverySample() throws {
        let source = try Self.source()
        // What a cluster worker would hold: the counts and sizes, and images it prepared itself.
        let planner = SamplePlanner(seed: 1, countA: 3, countB: 5, loadSize: 40, cropSize: 32, flip: true)
        #expect(planner == source.planner)
        for epoch in 1...3 {
            let order = planner.order(epoch: epoch)
            for index in 0..<5 {
                let plan = planner.plan(epoch: epoch, index: index, order: order)
                #expect(plan == source.plan(epoch: epoch, index: index))
                #expect(plan == planner.plan(epoch: epoch, index: index))
                let imageA = planner.prepare(Self.coordinateImage(side: 40, tag: UInt8(plan.indexA)))
                let imageB = planner.prepare(Self.coordinateImage(side: 40, tag: UInt8(100 + plan.indexB)))
                let expected = source.sample(epoch: epoch, index: index)
                #expect(planner.apply(plan.cropA, to: imageA) == expected.a)
                #expect(planner.apply(plan.cropB, to: imageB) == expected.b)
            }
        }
        #expect(planner.apply(SampleCrop(x: 9, y: 0, flip: false), to: Self.coordinateImage(side: 40, tag: 0)) == nil)
        #expect(planner.apply(SampleCrop(x: 0, y: 0, flip: false), to: Self.coordinateImage(side: 41, tag: 0)) == nil)
        // Preparing resizes to the load size.
        let prepared = planner.prepare(Self.coordinateImage(side: 64, tag: 0))
        #expect(prepared.width == 40 && prepared.height == 40 && prepared.channels == 3)
    }

    @Test func noFlipWhenDisabled() throws {
        let source = try Self.source(flip: false)
        for index in 0..<5 {
            let a = source.sample(epoch: 1, index: index).a
            #expect(a[1] > a[0])
        }
    }

    @Test func rejectsUnusableSettings() {
        #expect(throws: CycleGANError.self) { try Self.source(load: 30, crop: 32) }
        #expect(throws: CycleGANError.self) { try Self.source(load: 40, crop: 30) }
        #expect(throws: CycleGANError.self) { try Self.source(countA: 0) }
    }

    @Test func normalisationMatchesTorchvision() {
        let image = Image(width: 1, height: 1, channels: 3, bitDepth: 8, pixels: [0, 128, 255])
        let values = image.chwFloats()
        #expect(values == [-1, (Float(128) / 255 - 0.5) / 0.5, 1])
        let back = Image(chwFloats: values, width: 1, height: 1)
        #expect(back?.pixels == [0, 128, 255])
    }
}

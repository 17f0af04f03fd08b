import Testing
@testable import CycleGAN

@Suite struct ImagePoolTests {
    private func image(_ value: Float) -> [Float] { [value, value, value] }

    @Test func returnsAndStoresEveryImageUntilFull() {
        var pool = ImagePool(capacity: 3, seed: 1)
        for i in 0..<3 {
            #expect(pool.query(image(Float(i))) == image(Float(i)))
        }
        #expect(pool.images == [image(0), image(1), image(2)])
    }

    @Test func zeroCapacityIsTransparent() {
        var pool = ImagePool(capacity: 0, seed: 1)
        for i in 0..<10 { #expect(pool.query(image(Float(i))) == image(Float(i))) }
        #expect(pool.images.isEmpty)
    }

    @Test func whenFullSwapsAboutHalfTheTime() {
        var pool = ImagePool(capacity: 4, seed: 9)
        for i in 0..<4 { _ = pool.query(image(Float(i))) }
        var swapped = 0
        let queries = 2000
        for i in 4..<(4 + queries) {
            let before = pool.images
            let answer = pool.query(image(Float(i)))
            #expect(pool.images.count == 4)
            if answer == image(Float(i)) {
                #expect(pool.images == before)
            } else {
                swapped += 1
                // The answer was a stored image, and the query took its slot.
                if let slot = before.firstIndex(of: answer) {
                    #expect(pool.images[slot] == image(Float(i)))
                } else {
                    Issue.record("answer \(answer) was neither the query nor a stored image")
                }
            }
        }
        #expect(abs(Double(swapped) / Double(queries) - 0.5) < 0.05)
    }

    @Test func sameSeedSameAnswers() {
        var a = ImagePool(capacity: 2, seed: 5)
        var b = ImagePool(capacity: 2, seed: 5)
        for i in 0..<50 { #expect(a.query(image(Float(i))) == b.query(image(Float(i)))) }
        #expect(a == b)
    }

    @Test func restoredPoolContinuesIdentically() throws {
        var pool = ImagePool(capacity: 2, seed: 5)
        for i in 0..<5 { _ = pool.query(image(Float(i))) }
        var copy = try #require(ImagePool(capacity: 2, images: pool.images, random: pool.random))
        for i in 5..<30 { #expect(copy.query(image(Float(i))) == pool.query(image(Float(i)))) }
        #expect(ImagePool(capacity: 1, images: [image(1), image(2)], random: pool.random) == nil)
    }
}

import Foundation
import Testing
@testable import Datasets
@testable import Imaging

@Suite struct SyntheticDatasetTests {
    @Test func writesTheCycleGANLayoutWithDecodablePNGs() throws {
        let root = NSTemporaryDirectory() + "herd-synth-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SyntheticDataset.write(to: root, size: 32, count: 12, seed: 7)
        for split in ["trainA", "trainB", "testA", "testB"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: root + "/" + split).sorted()
            #expect(files.count == (split.hasPrefix("train") ? 12 : SyntheticDataset.testCount(forTrainCount: 12)))
            let image = try ImageCodec.decode(file: root + "/" + split + "/" + files[0])
            #expect(image.width == 32 && image.height == 32 && image.channels == 3)
        }
    }

    @Test func sameSeedGivesIdenticalImagesAndOtherSeedsDiffer() {
        let a = SyntheticDataset.sample(domain: .a, size: 32, seed: 3, index: 5)
        #expect(a == SyntheticDataset.sample(domain: .a, size: 32, seed: 3, index: 5))
        #expect(a != SyntheticDataset.sample(domain: .a, size: 32, seed: 4, index: 5))
        #expect(a != SyntheticDataset.sample(domain: .a, size: 32, seed: 3, index: 6))
    }

    /// Domain B's stripes show as many strong black/white jumps between neighbours; domain A's flat fills don't.
    @Test func domainBHasStripesAndDomainAIsFlat() {
        func edgeFraction(_ image: Image) -> Double {
            var strong = 0, total = 0
            for y in 0..<image.height {
                for x in 1..<image.width {
                    let o = (y * image.width + x) * 3
                    let d = abs(Int(image.pixels[o]) - Int(image.pixels[o - 3]))
                    if d > 100 { strong += 1 }
                    total += 1
                }
            }
            return Double(strong) / Double(total)
        }
        var edgesA = 0.0, edgesB = 0.0
        for i in 0..<20 {
            edgesA += edgeFraction(SyntheticDataset.sample(domain: .a, size: 32, seed: 1, index: i))
            edgesB += edgeFraction(SyntheticDataset.sample(domain: .b, size: 32, seed: 1, index: i))
        }
        #expect(edgesB > 4 * edgesA)
        #expect(edgesB / 20 > 0.05)
    }

    @Test func rejectsTinySizesAndZeroCounts() {
        #expect(throws: DatasetError.self) { try SyntheticDataset.write(to: "/tmp/unused", size: 4, count: 3, seed: 1) }
        #expect(throws: DatasetError.self) { try SyntheticDataset.write(to: "/tmp/unused", size: 32, count: 0, seed: 1) }
    }
}

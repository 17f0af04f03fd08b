import Config
import Foundation
import Imaging
import Testing
@testable import CycleGAN

/// Validation images are checked from their header before decoding and decoded one at a time:
/// an absurdly large one is refused with a sentence, never decoded.
@Suite struct ValidationImageLimitsTests {
    /// A PNG whose IHDR declares `side` x `side` 16-bit RGB pixels, followed by an empty IDAT:
    /// enough for a header check, nothing to decode.
    static func hugePNGHeader(side: Int) -> [UInt8] {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            let length = UInt32(body.count), crc = CRC32.checksum(typed)
            return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + typed
                + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) }
        }
        let size = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: UInt32(side) >> $0) }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", size + size + [16, 2, 0, 0, 0])
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    }

    @Test func anAbsurdlyLargeValidationImageIsRefusedFromItsHeader() throws {
        let root = try TestSupport.temporaryDirectory("huge-validation")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/testA", withIntermediateDirectories: true)
        try Data(Self.hugePNGHeader(side: 11585)).write(to: URL(fileURLWithPath: root + "/testA/a_huge.png"))
        try Data(PNGEncoder.encode(TrainerTests.noiseImage(side: 40, seed: 1))).write(to: URL(fileURLWithPath: root + "/testA/b_small.png"))
        var validation = ValidationConfig()
        validation.count = 4
        let start = Date()
        let set = ValidationSet.load(root: root, validation: validation, size: 32)
        #expect(Date().timeIntervalSince(start) < 5)  // nothing of 11585 x 11585 was decoded
        #expect(set.itemsA.map(\.name) == ["b_small"])
        #expect(set.skipped.count == 1)
        let reason = set.skipped.first?.reason ?? ""
        #expect(set.skipped.first?.path == root + "/testA/a_huge.png")
        #expect(reason.contains("11585x11585") && reason.contains("megapixels") && reason.contains("resize it"), "\(reason)")
        // Within the bound, images still load.
        #expect(FolderImages.maximumPixels >= 4096 * 4096)
    }

    @Test func anImageFileOverTheByteLimitIsRefusedBeforeItIsRead() throws {
        let root = try TestSupport.temporaryDirectory("huge-file")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/testB", withIntermediateDirectories: true)
        let path = root + "/testB/a_huge.png"
        // A sparse file: 300 MiB long, no disk used, a PNG header at the start.
        try Data(Self.hugePNGHeader(side: 64)).write(to: URL(fileURLWithPath: path))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 300 << 20)
        try handle.close()
        var validation = ValidationConfig()
        validation.count = 2
        let set = ValidationSet.load(root: root, validation: validation, size: 32)
        #expect(set.itemsB.isEmpty)
        #expect(set.skipped.map(\.path) == [path])
        let reason = set.skipped.first?.reason ?? ""
        #expect(reason.contains("300 MiB") && reason.contains("256 MiB") && reason.contains("resize or recompress"), "\(reason)")
    }
}

import CycleGAN
import Foundation
import Testing

/// `herd translate` verifies the checkpoint it is given: one flipped byte of `tensors.f32` is
/// refused with a message naming the file and the damaged tensor, and nothing is written.
@Suite struct TranslateIntegrityTests {
    @Test func translateRefusesACheckpointWithOneFlippedByte() throws {
        guard let herd = CycleGANClusterTests.executable("herd") else {
            Issue.record("herd not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return
        }
        let tiny = try TinyCycleGAN()
        let source = try SampleSource(root: tiny.config.data.root, data: tiny.config.data, seed: tiny.config.training.seed)
        try Trainer(config: tiny.config, source: source, validation: nil, resume: false).run()
        let latest = try #require(CheckpointStore(directory: tiny.config.checkpoint.directory + "/tiny", keep: 1).latest())
        let image = try #require(FileManager.default.enumerator(atPath: tiny.config.data.root)?
            .compactMap { $0 as? String }.first { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") })
        let imagePath = tiny.config.data.root + "/" + image

        func translate(_ out: String) throws -> (status: Int32, output: String) {
            let run = try LoggedProcess(herd, ["translate", "--checkpoint", latest, "--out", out, imagePath], log: out + ".log")
            run.process.waitUntilExit()
            return (run.process.terminationStatus, run.text)
        }
        let intact = try translate(tiny.root + "/intact")
        #expect(intact.status == 0, "\(intact.output)")

        let data = latest + "/tensors.f32"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: data))
        bytes[bytes.count / 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: data))
        let damaged = try translate(tiny.root + "/damaged")
        #expect(damaged.status != 0)
        #expect(damaged.output.contains(data) && damaged.output.contains("damaged"), "\(damaged.output)")
        #expect(!damaged.output.contains("Fatal error"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tiny.root + "/damaged")) ?? []).isEmpty)
    }
}

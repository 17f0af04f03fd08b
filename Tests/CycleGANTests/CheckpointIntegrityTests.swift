import Config
import Foundation
import Imaging
import Testing
@testable import CycleGAN

/// Checkpoints prove themselves: every tensor and the manifest carry a SHA-256 checked on load
/// (resume, translate, the coordinator), and a damaged latest checkpoint gives way to the newest
/// intact one, saying so.
@Suite struct CheckpointIntegrityTests {
    /// Flips one bit of the byte at `offset` of `file`.
    static func flipByte(_ file: String, at offset: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data[offset] ^= 0x10
        try data.write(to: URL(fileURLWithPath: file))
    }

    static func run(_ config: RunConfig, resume: Bool = false) throws -> Trainer {
        try Trainer(config: config, source: try TrainerTests.source(config), validation: nil, resume: resume)
    }

    @Test func oneFlippedByteInATensorIsCaughtOnLoad() throws {
        let root = try TestSupport.temporaryDirectory("flip")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.run(TrainerTests.config(directory: root)).run(throughEpoch: 1)
        let latest = try #require(CheckpointStore(directory: root + "/tiny", keep: 1).latest())
        _ = try Checkpoint.read(directory: latest)  // intact as written
        // A byte in the middle of G_AB's first weight (the audit's flip made it -684.46).
        try Self.flipByte(latest + "/tensors.f32", at: 4 * 100 + 3)
        let error = #expect(throws: ArchiveError.self) { try Checkpoint.read(directory: latest) }
        #expect(error == .checksumMismatch(path: latest + "/tensors.f32", name: "G_AB.inp.weight"))
        #expect(error?.description.contains("damaged") == true)
    }

    @Test func anEditedManifestIsCaughtOnLoad() throws {
        let root = try TestSupport.temporaryDirectory("manifest-edit")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.run(TrainerTests.config(directory: root)).run(throughEpoch: 1)
        let latest = try #require(CheckpointStore(directory: root + "/tiny", keep: 1).latest())
        let path = latest + "/manifest.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"lr\" : 0.0002", with: "\"lr\" : 0.0003").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try String(contentsOfFile: path, encoding: .utf8) != text)
        #expect(throws: ArchiveError.checksumMismatch(path: path, name: "manifest.json")) { try Checkpoint.read(directory: latest) }
        // Removing the manifest's checksum file along with the edit does not make it pass: the
        // tensors still carry theirs, and a checkpoint with only some checksums is refused.
        try FileManager.default.removeItem(atPath: latest + "/manifest.sha256")
        let unproven = #expect(throws: ArchiveError.self) { try Checkpoint.read(directory: latest) }
        #expect(unproven?.description.contains("only part of the checkpoint") == true, "\(String(describing: unproven))")
    }

    /// Rewrites the checkpoint at `path` as Herd wrote them before checksums: no `sha256` per
    /// tensor, no `manifest.sha256`.
    static func stripChecksums(_ path: String) throws {
        let manifest = path + "/manifest.json"
        var json = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: manifest)))
        guard case .object(var members) = json, case .array(let tensors)? = members["tensors"] else {
            Issue.record("unexpected manifest layout"); return
        }
        members["tensors"] = .array(tensors.map { tensor in
            guard case .object(var fields) = tensor else { return tensor }
            fields["sha256"] = nil
            return .object(fields)
        })
        json = .object(members)
        try JSONEncoder().encode(json).write(to: URL(fileURLWithPath: manifest))
        try FileManager.default.removeItem(atPath: path + "/manifest.sha256")
    }

    @Test func aCheckpointFromBeforeChecksumsResumesWithAWarning() throws {
        let root = try TestSupport.temporaryDirectory("legacy")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = TrainerTests.config(directory: root, everySteps: 1)
        try Self.run(config).run(throughEpoch: 1)
        let latest = try #require(CheckpointStore(directory: root + "/tiny", keep: 1).latest())
        try Self.stripChecksums(latest)
        #expect(try Checkpoint.read(directory: latest).isChecksummed == false)
        let resumed = try Self.run(config, resume: true)
        #expect(resumed.resumedFrom == latest)
        #expect(resumed.notes.contains { $0.contains(latest) && $0.contains("before checkpoints carried SHA-256 checksums") },
                "\(resumed.notes)")
        // The checkpoints it writes carry them again.
        try resumed.run(throughEpoch: 2)
        let next = try #require(CheckpointStore(directory: root + "/tiny", keep: 1).latest())
        #expect(next != latest)
        #expect(try Checkpoint.read(directory: next).isChecksummed)
    }

    @Test func resumeFallsBackToTheNewestIntactCheckpointSayingSo() throws {
        let root = try TestSupport.temporaryDirectory("fallback")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let straight = try Self.run(TrainerTests.config(directory: root + "/straight"))
        try straight.run()
        let expected = TrainerTests.Snapshot(straight)

        let config = TrainerTests.config(directory: root + "/split", everySteps: 1)
        try Self.run(config).run(throughEpoch: 1)  // checkpoints after steps 1 and 2
        let run = root + "/split/tiny"
        try Self.flipByte(run + "/step-000000002/tensors.f32", at: 12345)
        let resumed = try Self.run(config, resume: true)
        #expect(resumed.resumedFrom == run + "/step-000000001")
        #expect(resumed.notes.contains { $0.contains("step-000000002") && $0.contains("damaged") && $0.contains("moved aside") })
        #expect(resumed.notes.contains { $0.contains("resuming from the newest intact checkpoint") })
        #expect(FileManager.default.fileExists(atPath: run + "/step-000000002.corrupt"))
        #expect(CheckpointStore(directory: run, keep: 10).checkpointNames() == ["step-000000001"])
        // Redoing the lost step gives the run it would have been.
        try resumed.run()
        #expect(TrainerTests.Snapshot(resumed) == expected)
    }

    @Test func resumeWithEveryCheckpointDamagedRefusesInsteadOfStartingOver() throws {
        let root = try TestSupport.temporaryDirectory("all-damaged")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = TrainerTests.config(directory: root, everySteps: 1)
        try Self.run(config).run(throughEpoch: 1)
        for name in ["step-000000001", "step-000000002"] {
            try Self.flipByte(root + "/tiny/\(name)/tensors.f32", at: 64)
        }
        let error = #expect(throws: CycleGANError.self) { try Self.run(config, resume: true) }
        guard case .archive(.noIntactCheckpoint(let directory, let failures))? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(directory == root + "/tiny" && failures.count == 2)
        #expect(error?.description.contains("--fresh") == true)
    }
}

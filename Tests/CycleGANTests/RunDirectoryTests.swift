import Config
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import CycleGAN

/// A run directory is never overwritten: a new run refuses an earlier one, `--fresh` discards
/// it, `--resume` of a finished run has nothing to do, and killed or failed checkpoint writes
/// leave nothing behind.
@Suite struct RunDirectoryTests {
    static func trainer(_ config: RunConfig, resume: Bool = false, fresh: Bool = false,
                        validation: ValidationSet? = nil) throws -> Trainer {
        try Trainer(config: config, source: try TrainerTests.source(config), validation: validation, resume: resume, fresh: fresh)
    }

    /// Two processes training in one run directory would delete and overwrite each other's
    /// files (seen: a `--fresh` run discarding `val/` under a running one). Another process's
    /// lock is a separate open file description, which a second `open` + `flock` stands for.
    @Test func aRunDirectoryLockedByAnotherProcessIsRefusedNamingIt() throws {
        let root = try TestSupport.temporaryDirectory("locked")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/tiny"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let other = open(directory + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try #require(other >= 0)
        defer { close(other) }
        try #require(flock(other, LOCK_EX | LOCK_NB) == 0)
        _ = "4242\n".withCString { write(other, $0, 5) }

        let error = #expect(throws: CycleGANError.self) { try Self.trainer(TrainerTests.config(directory: root), fresh: true) }
        guard case .runDirectory(let refusal)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(refusal == .inUse(directory: directory, pid: 4242))
        #expect(refusal.description.contains("is in use by another run (process 4242)"))

        // Once the other process lets go, the run starts, and holds the directory itself.
        flock(other, LOCK_UN)
        let trainer = try Self.trainer(TrainerTests.config(directory: root), fresh: true)
        #expect(flock(other, LOCK_EX | LOCK_NB) != 0, "the run holds the lock while this process lives")
        _ = trainer
    }

    @Test func aNewRunRefusesADirectoryHoldingAnEarlierRun() throws {
        let root = try TestSupport.temporaryDirectory("earlier")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = TrainerTests.config(directory: root)
        try Self.trainer(config, validation: TrainerTests.validation()).run(throughEpoch: 1)
        let store = CheckpointStore(directory: root + "/tiny", keep: 10)
        let before = store.checkpointNames()
        #expect(before == ["step-000000002"])

        let error = #expect(throws: CycleGANError.self) { try Self.trainer(config) }
        guard case .runDirectory(let refusal)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(refusal == .earlierRun(directory: root + "/tiny", checkpoints: 1, newest: "step-000000002", validationEpochs: 1))
        #expect(refusal.description.contains("use --resume to continue, or --fresh to discard 1 checkpoint"))
        #expect(store.checkpointNames() == before)
        #expect(store.latest() == root + "/tiny/step-000000002")
        #expect(store.validationEpochs() == ["epoch_001"])
        // Both at once is a contradiction, not a choice.
        #expect(throws: CycleGANError.self) { try Self.trainer(config, resume: true, fresh: true) }
        // Validation images alone (a run killed before its first checkpoint) also block a new run.
        try FileManager.default.removeItem(atPath: root + "/tiny/step-000000002")
        #expect(throws: CycleGANError.self) { try Self.trainer(config) }
        #expect(throws: CycleGANError.self) { try Self.trainer(config, resume: true) }
    }

    /// `--resume` where there is nothing yet starts a new run, and says so: a typo in the
    /// run name or the directory must not pass for a resumed run.
    @Test func resumeWithoutACheckpointSaysItStartsANewRun() throws {
        let root = try TestSupport.temporaryDirectory("resume-nothing")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let trainer = try Self.trainer(TrainerTests.config(directory: root), resume: true)
        #expect(trainer.resumedFrom == nil)
        #expect(trainer.notes.contains("--resume: no checkpoint in \(root)/tiny yet; starting a new run at step 0"), "\(trainer.notes)")
        let again = try CheckpointStore(directory: root + "/other", keep: 1).prepare(.new)
        #expect(again.isEmpty, "a plain new run has nothing to say")
    }

    @Test func freshDiscardsTheEarlierRunAndTheNewRunKeepsItsCheckpoints() throws {
        let root = try TestSupport.temporaryDirectory("fresh")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var config = TrainerTests.config(directory: root, everySteps: 1)
        config.checkpoint.keep = 2
        try Self.trainer(config, validation: TrainerTests.validation()).run()  // steps 1-4, epochs 1-2
        try Data("old".utf8).write(to: URL(fileURLWithPath: root + "/tiny/dashboard.html"))

        let fresh = try Self.trainer(config, fresh: true)
        #expect(fresh.notes.contains { $0.contains("discarded 2 checkpoints and the validation images of 2 epochs") })
        let store = CheckpointStore(directory: root + "/tiny", keep: 2)
        #expect(store.checkpointNames().isEmpty && store.latest() == nil && store.validationEpochs().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root + "/tiny/dashboard.html"))
        try fresh.run(throughEpoch: 1)
        // The new run's checkpoints are the newest: none of them was pruned in favour of the old steps 3-4.
        #expect(store.checkpointNames() == ["step-000000001", "step-000000002"])
        #expect(store.latest() == root + "/tiny/step-000000002")
        let resumed = try Self.trainer(config, resume: true)
        #expect(resumed.state.progress == TrainingProgress(epoch: 2, stepInEpoch: 0, globalStep: 2))
    }

    @Test func resumingAFinishedRunSaysSoAndDoesNothing() throws {
        let root = try TestSupport.temporaryDirectory("finished")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = TrainerTests.config(directory: root)
        try Self.trainer(config).run()
        let again = try Self.trainer(config, resume: true)
        #expect(again.isFinished)
        var events = 0
        try again.run { _ in events += 1 }
        #expect(events == 0)
        #expect(again.state.progress.globalStep == 4)
        // A resumable run is not finished.
        let partial = try TestSupport.temporaryDirectory("unfinished")
        defer { try? FileManager.default.removeItem(atPath: partial) }
        try Self.trainer(TrainerTests.config(directory: partial)).run(throughEpoch: 1)
        #expect(try !Self.trainer(TrainerTests.config(directory: partial), resume: true).isFinished)
    }

    @Test func staleTemporariesOfKilledWritesAreRemovedAtStart() throws {
        let root = try TestSupport.temporaryDirectory("stale")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = root + "/tiny"
        for name in [".tmp-step-000000007-4242", ".tmp-step-000000009-17"] {
            try FileManager.default.createDirectory(atPath: run + "/" + name, withIntermediateDirectories: true)
            try Data(count: 5000).write(to: URL(fileURLWithPath: run + "/" + name + "/tensors.f32"))
        }
        try Data("step-0".utf8).write(to: URL(fileURLWithPath: run + "/.latest.tmp"))
        let trainer = try Self.trainer(TrainerTests.config(directory: root))
        #expect(trainer.notes.count == 1)
        #expect(trainer.notes.first?.contains("removed 3 unfinished checkpoint writes (10 KB)") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run) == [".lock"], "only the run's lock is left")
    }

    @Test func aCheckpointWriteThatFailsMidwayLeavesNoPartialDirectory() throws {
        let root = try TestSupport.temporaryDirectory("full")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = CheckpointStore(directory: root, keep: 3)
        var archive = TensorArchive(metadata: [:])
        try archive.append(name: "w", shape: [4], values: [1, 2, 3, 4])
        try store.save(archive, globalStep: 1)
        // The disk fills while the data file is written: what was written must go, the older checkpoint stays.
        let error = #expect(throws: ArchiveError.self) {
            try store.save(archive, globalStep: 2) { (archive, directory) throws(ArchiveError) in
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: directory + "/tensors.f32", contents: Data(count: 1 << 16))
                throw ArchiveError.io(path: directory + "/tensors.f32", reason: "write failed: " + String(cString: strerror(ENOSPC)))
            }
        }
        #expect(error?.description.contains("is full") == true)
        #expect(error?.description.contains(root) == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["latest", "step-000000001"])
        #expect(store.latest() == root + "/step-000000001")
    }

    @Test func anUnwritableCheckpointDirectorySaysWhereAndWhatToDo() throws {
        let root = try TestSupport.temporaryDirectory("unwritable")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A file where the directory should be: creating the directory fails for root too.
        try Data().write(to: URL(fileURLWithPath: root + "/blocked"))
        let store = CheckpointStore(directory: root + "/blocked/run", keep: 1)
        let error = #expect(throws: ArchiveError.self) { try store.save(TensorArchive(), globalStep: 1) }
        let text = error?.description ?? ""
        #expect(text.contains(root + "/blocked/run") && text.contains("checkpoint.directory"))
        #expect(!text.contains("NSCocoaErrorDomain"), "\(text)")
    }
}

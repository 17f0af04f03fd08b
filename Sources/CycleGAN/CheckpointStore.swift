import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The checkpoints of one run: `DIR/step-000000123/` directories (each a
/// ``Checkpoint`` archive), a `DIR/latest` file naming the newest, and only
/// the newest `keep` kept.
///
/// Writes are atomic: the archive goes to a hidden temporary directory, every
/// file is `fsync`ed, the directory is renamed into place and the parent
/// synced; `latest` is replaced the same way. A crash leaves either the old or
/// the new checkpoint, never a torn one. Used by `herd train` and the cluster coordinator.
public struct CheckpointStore: Sendable {
    /// The run's checkpoint directory (e.g. `checkpoints/horse2zebra`).
    public let directory: String
    /// How many checkpoints to keep (at least 1).
    public let keep: Int

    public init(directory: String, keep: Int) {
        self.directory = directory
        self.keep = max(1, keep)
    }

    /// The directory name of the checkpoint after `globalStep` steps.
    public static func name(globalStep: Int) -> String {
        let digits = String(globalStep)
        return "step-" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    /// Writes `archive` as the checkpoint after `globalStep` steps, points
    /// `latest` at it and prunes old ones. Returns its directory.
    @discardableResult
    public func save(_ archive: TensorArchive, globalStep: Int) throws(ArchiveError) -> String {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        let name = Self.name(globalStep: globalStep)
        let final = directory + "/" + name
        let temporary = directory + "/.tmp-\(name)-\(getpid())"
        try? fileManager.removeItem(atPath: temporary)
        try archive.write(directory: temporary)
        DurableFile.syncDirectory(temporary)
        if fileManager.fileExists(atPath: final) {
            // Re-saving the same step (e.g. a checkpoint at an epoch end that also hit everySteps).
            try? fileManager.removeItem(atPath: final)
        }
        guard rename(temporary, final) == 0 else {
            throw .io(path: final, reason: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
        }
        DurableFile.syncDirectory(directory)
        try writeLatest(name)
        prune()
        return final
    }

    /// The newest checkpoint's directory, or nil when there is none.
    public func latest() -> String? {
        let pointer = directory + "/latest"
        if let name = try? String(contentsOfFile: pointer, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           !name.isEmpty, !name.contains("/"), FileManager.default.fileExists(atPath: directory + "/" + name + "/manifest.json") {
            return directory + "/" + name
        }
        // No pointer (or a stale one): fall back to the newest complete directory.
        return checkpointNames().last(where: { FileManager.default.fileExists(atPath: directory + "/" + $0 + "/manifest.json") })
            .map { directory + "/" + $0 }
    }

    /// The checkpoint directory `path` designates: a checkpoint directory itself
    /// (holding `manifest.json`), a run directory (its newest checkpoint), or a
    /// run's `latest` pointer file. Nil when none is found.
    public static func resolve(_ path: String) -> String? {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            if fileManager.fileExists(atPath: path + "/manifest.json") { return path }
            return CheckpointStore(directory: path, keep: 1).latest()
        }
        let runDirectory = (path as NSString).deletingLastPathComponent
        return CheckpointStore(directory: runDirectory.isEmpty ? "." : runDirectory, keep: 1).latest()
    }

    /// Names of the checkpoint directories, oldest first.
    public func checkpointNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("step-") }.sorted()
    }

    private func writeLatest(_ name: String) throws(ArchiveError) {
        let temporary = directory + "/.latest.tmp"
        let file = try DurableFile(path: temporary)
        try file.write(Array((name + "\n").utf8))
        try file.finish()
        guard rename(temporary, directory + "/latest") == 0 else {
            throw .io(path: directory + "/latest", reason: "cannot replace: \(String(cString: strerror(errno)))")
        }
        DurableFile.syncDirectory(directory)
    }

    private func prune() {
        let names = checkpointNames()
        guard names.count > keep else { return }
        for name in names.prefix(names.count - keep) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }
}

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
    ///
    /// When the write fails (a full disk, an unwritable directory) the partial
    /// temporary directory is removed before the error is thrown, so a failed
    /// checkpoint never keeps the disk full.
    @discardableResult
    public func save(_ archive: TensorArchive, globalStep: Int) throws(ArchiveError) -> String {
        try save(archive, globalStep: globalStep) { (archive, directory) throws(ArchiveError) in try archive.write(directory: directory) }
    }

    /// ``save(_:globalStep:)`` writing the archive's files with `write` (tests make it fail midway).
    func save(_ archive: TensorArchive, globalStep: Int,
              write: (TensorArchive, String) throws(ArchiveError) -> Void) throws(ArchiveError) -> String {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, reason: "cannot create the checkpoint directory (\(Self.creationProblem(directory, error))); "
                      + "make it writable or set checkpoint.directory to a writable place")
        }
        let name = Self.name(globalStep: globalStep)
        let final = directory + "/" + name
        let temporary = directory + "/" + Self.temporaryPrefix + "\(name)-\(getpid())"
        try? fileManager.removeItem(atPath: temporary)
        do {
            try write(archive, temporary)
        } catch {
            try? fileManager.removeItem(atPath: temporary)
            throw Self.explained(error, directory: directory)
        }
        DurableFile.syncDirectory(temporary)
        if fileManager.fileExists(atPath: final) {
            // Re-saving the same step (e.g. a checkpoint at an epoch end that also hit everySteps).
            try? fileManager.removeItem(atPath: final)
        }
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fileManager.removeItem(atPath: temporary)
            throw .io(path: final, reason: "cannot rename \(temporary) into place: \(reason)")
        }
        DurableFile.syncDirectory(directory)
        try writeLatest(name)
        prune()
        return final
    }

    /// Name prefix of the hidden directories checkpoints are written to before the rename.
    static let temporaryPrefix = ".tmp-"

    /// Removes what killed checkpoint writes left behind: `.tmp-*` directories and a
    /// half-written `.latest.tmp`. Called when a run starts (nothing is writing then).
    /// Returns the removed paths and their total size in bytes.
    @discardableResult
    public func removeStaleTemporaries() -> (paths: [String], bytes: Int) {
        let fileManager = FileManager.default
        let names = (try? fileManager.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        var bytes = 0
        for name in names.sorted() where name.hasPrefix(Self.temporaryPrefix) || name == ".latest.tmp" {
            let path = directory + "/" + name
            bytes += Self.size(of: path)
            if (try? fileManager.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return (removed, bytes)
    }

    /// The total size of the files at and under `path`.
    static func size(of path: String) -> Int {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        guard isDirectory.boolValue else {
            return (try? fileManager.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }
        let children = (try? fileManager.subpathsOfDirectory(atPath: path)) ?? []
        return children.reduce(0) { $0 + ((try? fileManager.attributesOfItem(atPath: path + "/" + $1)[.size] as? Int) ?? 0) }
    }

    /// A write error with what to do about it: a full disk or a permission problem
    /// names the checkpoint directory and the fix.
    static func explained(_ error: ArchiveError, directory: String) -> ArchiveError {
        guard case .io(let path, let reason) = error else { return error }
        if reason.contains(String(cString: strerror(ENOSPC))) || reason.contains(String(cString: strerror(EDQUOT))) {
            return .io(path: path, reason: reason + "; the disk holding \(directory) is full: free space there "
                       + "(or lower checkpoint.keep) and resume with --resume (the partial checkpoint was removed)")
        }
        if reason.contains(String(cString: strerror(EACCES))) || reason.contains(String(cString: strerror(EROFS)))
            || reason.contains(String(cString: strerror(EPERM))) {
            return .io(path: path, reason: reason + "; make \(directory) writable or set checkpoint.directory to a writable place")
        }
        return error
    }

    /// Why `path` could not be created, found by looking at its nearest existing ancestor
    /// (Foundation's error is often only "NSCocoaErrorDomain error 512").
    static func creationProblem(_ path: String, _ error: Error) -> String {
        var ancestor = (path as NSString).deletingLastPathComponent
        let fileManager = FileManager.default
        while !ancestor.isEmpty, ancestor != "/", !fileManager.fileExists(atPath: ancestor) {
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        if ancestor.isEmpty { ancestor = "." }
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: ancestor, isDirectory: &isDirectory), !isDirectory.boolValue {
            return "\(ancestor) is a file, not a directory"
        }
        if access(ancestor, W_OK) != 0 {
            return "\(ancestor) is not writable: \(String(cString: strerror(errno)))"
        }
        return reason(error)
    }

    /// The text of a Foundation file error without the `NSCocoaErrorDomain` wrapping.
    static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return error.localizedDescription
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

    /// The checkpoint directories newest first: the one `latest` names, then the others by
    /// step number, highest first.
    public func newestFirst() -> [String] {
        var names = checkpointNames().reversed().map { $0 }
        if let pointed = try? String(contentsOfFile: directory + "/latest", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), let index = names.firstIndex(of: pointed) {
            names.remove(at: index)
            names.insert(pointed, at: 0)
        }
        return names.map { directory + "/" + $0 }
    }

    /// A checkpoint that failed its checks while looking for one to load.
    public struct Skipped: Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let error: ArchiveError
        public var description: String { error.description }
    }

    /// Loads the newest checkpoint that `load` accepts (`load` reads it, which verifies its
    /// checksums, and restores it). Nil when the run has no checkpoint; the newer ones that
    /// failed are returned in `skipped`, newest first.
    /// - Throws: ``ArchiveError/noIntactCheckpoint(directory:failures:)`` when every one fails.
    public func loadNewestIntact<T>(_ load: (String) throws(ArchiveError) -> T)
        throws(ArchiveError) -> (path: String, value: T, skipped: [Skipped])?
    {
        let candidates = newestFirst()
        guard !candidates.isEmpty else { return nil }
        var skipped: [Skipped] = []
        for path in candidates {
            do {
                return (path, try load(path), skipped)
            } catch {
                skipped.append(Skipped(path: path, error: error))
            }
        }
        throw .noIntactCheckpoint(directory: directory, failures: skipped.map(\.description))
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

    /// Names of the checkpoint directories (`step-` and digits), oldest first.
    public func checkpointNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter(Self.isCheckpointName).sorted { (Self.step(of: $0) ?? 0) < (Self.step(of: $1) ?? 0) }
    }

    /// Whether `name` is a checkpoint directory's name (`step-000000123`).
    static func isCheckpointName(_ name: String) -> Bool { step(of: name) != nil }

    /// The step number in a checkpoint directory's name.
    static func step(of name: String) -> Int? {
        guard name.hasPrefix("step-") else { return nil }
        let digits = name.dropFirst(5)
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return Int(digits)
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

import Config
import Foundation
import Locking
#if canImport(Glibc)
import Glibc
#endif

/// How a run starts in its run directory (`checkpoint.directory/name`).
public enum RunStart: Sendable, Equatable {
    /// A new run: refused when the directory holds checkpoints or validation images of an earlier one.
    case new
    /// Continue from the newest intact checkpoint (a new run when the directory is empty).
    case resume
    /// Discard the earlier run's checkpoints, validation images and dashboard snapshot, then start a new run.
    case fresh
}

/// What is wrong with starting a run in a run directory.
public enum RunDirectoryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A new run (neither resume nor fresh) where an earlier run left checkpoints or validation images.
    case earlierRun(directory: String, checkpoints: Int, newest: String?, validationEpochs: Int)
    /// `--resume` where there are validation images but no checkpoint to continue from.
    case nothingToResume(directory: String, validationEpochs: Int)
    /// Discarding the earlier run failed.
    case cannotDiscard(path: String, reason: String)
    /// The run directory cannot be created or written.
    case unwritable(directory: String, reason: String)
    /// Another process (`herd train` or a coordinator; its pid when known) trains in the directory.
    case inUse(directory: String, pid: Int?)

    public var description: String {
        switch self {
        case let .earlierRun(directory, checkpoints, newest, validationEpochs):
            var held: [String] = []
            if checkpoints > 0 { held.append(Self.count(checkpoints, "checkpoint") + (newest.map { " (newest: \($0))" } ?? "")) }
            if validationEpochs > 0 { held.append("validation images of " + Self.count(validationEpochs, "epoch")) }
            let what = checkpoints > 0 ? Self.count(checkpoints, "checkpoint") : "its validation images"
            return "\(directory) holds an earlier run (\(held.joined(separator: " and "))): "
                + "use --resume to continue, or --fresh to discard \(what)"
                + (checkpoints > 0 && validationEpochs > 0 ? " and its validation images" : "")
                + " (or change name / checkpoint.directory in the configuration)"
        case let .nothingToResume(directory, validationEpochs):
            return "\(directory) has no checkpoint to resume from, only validation images of \(Self.count(validationEpochs, "epoch")): "
                + "use --fresh to discard them and start a new run"
        case let .cannotDiscard(path, reason):
            return "\(path): cannot discard the earlier run: \(reason)"
        case let .inUse(directory, pid):
            return "\(directory) is in use by another run\(pid.map { " (process \($0))" } ?? ""), a herd train or a coordinator: "
                + "stop it first, or give this run another name or checkpoint.directory"
        case let .unwritable(directory, reason):
            return "\(directory): cannot write checkpoints there (\(reason)): make it writable, "
                + "or set checkpoint.directory in the configuration to a writable place"
        }
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}

extension CheckpointStore {
    /// The validation images' directory of the run (`val/`, one `epoch_NNN` per validated epoch).
    public var validationDirectory: String { directory + "/val" }

    /// The dashboard snapshot the coordinator writes into the run directory.
    public static let dashboardSnapshotName = "dashboard.html"

    /// The `epoch_NNN` directories of the validation images, oldest first.
    public func validationEpochs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: validationDirectory)) ?? [])
            .filter { $0.hasPrefix("epoch_") }.sorted()
    }

    /// Names of checkpoints moved aside because they failed their checks (`step-NNN.corrupt`).
    public func corruptNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(Self.corruptSuffix) && Self.isCheckpointName(String($0.dropLast(Self.corruptSuffix.count))) }
            .sorted()
    }

    /// Suffix of a checkpoint directory moved aside by ``moveAside(_:)``.
    public static let corruptSuffix = ".corrupt"

    /// Renames a checkpoint that failed its checks to `NAME.corrupt`: kept for inspection, never
    /// counted as a checkpoint again (so neither resumed nor counted when pruning). Returns the new path.
    @discardableResult
    public func moveAside(_ path: String) -> String? {
        let target = path + Self.corruptSuffix
        try? FileManager.default.removeItem(atPath: target)
        guard rename(path, target) == 0 else { return nil }
        DurableFile.syncDirectory(directory)
        return target
    }

    /// Prepares the run directory for `start`; returns what was done, as lines for the log.
    ///
    /// The process first takes the directory's lock (`.lock`, held until it exits): a second
    /// run in the same directory is refused. Every start removes the temporaries of killed checkpoint writes. ``RunStart/new`` refuses a
    /// directory holding an earlier run's checkpoints or validation images (they would mix with the
    /// new run's, and the earlier run's higher step numbers would count as newest);
    /// ``RunStart/fresh`` deletes them (checkpoints, `latest`, corrupt checkpoints moved aside,
    /// `val/` and the dashboard snapshot) first; ``RunStart/resume`` refuses only a directory with
    /// validation images but no checkpoint, and says so when it finds no checkpoint (a new run).
    public func prepare(_ start: RunStart) throws(RunDirectoryError) -> [String] {
        try checkWritable()
        try RunDirectoryLock.acquire(directory)
        var notes: [String] = []
        let stale = removeStaleTemporaries()
        if !stale.paths.isEmpty {
            notes.append("removed \(RunDirectoryError.count(stale.paths.count, "unfinished checkpoint write"))"
                         + " (\(ByteCount.format(stale.bytes))): " + stale.paths.joined(separator: ", "))
        }
        let checkpoints = checkpointNames()
        let epochs = validationEpochs()
        switch start {
        case .new:
            if !checkpoints.isEmpty || !epochs.isEmpty {
                throw .earlierRun(directory: directory, checkpoints: checkpoints.count, newest: checkpoints.last,
                                  validationEpochs: epochs.count)
            }
        case .resume:
            if checkpoints.isEmpty && !epochs.isEmpty {
                throw .nothingToResume(directory: directory, validationEpochs: epochs.count)
            }
            if checkpoints.isEmpty {
                notes.append("--resume: no checkpoint in \(directory) yet; starting a new run at step 0")
            }
        case .fresh:
            let fileManager = FileManager.default
            let doomed = checkpoints + corruptNames() + ["latest", "val", Self.dashboardSnapshotName]
            for name in doomed where fileManager.fileExists(atPath: directory + "/" + name) {
                do {
                    try fileManager.removeItem(atPath: directory + "/" + name)
                } catch {
                    throw .cannotDiscard(path: directory + "/" + name, reason: Self.reason(error))
                }
            }
            DurableFile.syncDirectory(directory)
            if !checkpoints.isEmpty || !epochs.isEmpty {
                notes.append("--fresh: discarded \(RunDirectoryError.count(checkpoints.count, "checkpoint")) and the "
                             + "validation images of \(RunDirectoryError.count(epochs.count, "epoch")) in \(directory)")
            }
        }
        return notes
    }

    /// Creates the run directory and writes and removes a probe file in it, so a directory that
    /// cannot hold checkpoints is refused at start, not after the first hours of training.
    public func checkWritable() throws(RunDirectoryError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .unwritable(directory: directory, reason: Self.creationProblem(directory, error))
        }
        let probe = directory + "/.write-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw .unwritable(directory: directory, reason: String(cString: strerror(errno)))
        }
        close(fd)
        unlink(probe)
    }
}

/// One process per run directory: an exclusive `flock` on `<run>/.lock`, held until the
/// process exits (the kernel releases it then, also after SIGKILL), with the holder's pid
/// written inside for the message of the process refused.
enum RunDirectoryLock {
    static let fileName = ".lock"
    /// Directories this process holds, by path, with their descriptor (kept open on purpose).
    private static let held = Locked<[String: Int32]>([:])

    static func acquire(_ directory: String) throws(RunDirectoryError) {
        let path = directory + "/" + fileName
        let result: Result<Void, RunDirectoryError> = held.withLock { held in
            if held[path] != nil { return .success(()) }
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return .failure(.unwritable(directory: directory, reason: String(cString: strerror(errno)))) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                var buffer = [UInt8](repeating: 0, count: 32)
                let count = read(fd, &buffer, buffer.count)
                close(fd)
                let pid = count > 0 ? Int(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
                return .failure(.inUse(directory: directory, pid: pid))
            }
            let text = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            held[path] = fd
            return .success(())
        }
        try result.get()
    }
}

import Dispatch
import Foundation
import Locking
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) or SIGTERM (what `kill` and service managers send) during a long command
/// (`herd train`): instead of a silent exit, says at which step the work stopped, which
/// checkpoint a resume starts from and the command for it, then exits with status 128 + the
/// signal's number, as the shell reports a process killed by it (130, 143).
public final class InterruptNotice: Sendable {
    private struct Where {
        var epoch = 0, stepInEpoch = 0, global = 0
        var checkpoint: String?
    }

    /// The command line that continues the work.
    public let resumeCommand: String
    private let state = Locked(Where())
    /// Work that must not be lost when the process stops here (e.g. the dashboard's snapshot).
    private let cleanups = Locked<[@Sendable () -> Void]>([])
    /// The installed signal sources, kept for the life of the process (set once, from the main thread).
    nonisolated(unsafe) private static var installed: [DispatchSourceSignal] = []

    /// - Parameter resumeCommand: the command line that continues the work, printed as is.
    public init(resumeCommand: String) { self.resumeCommand = resumeCommand }

    /// Replaces the default SIGINT and SIGTERM actions (a silent exit) with the notice.
    public func install() {
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [self] in
                print("")
                for cleanup in cleanups.withLock({ $0 }) { cleanup() }
                print(message())
                exit(128 + signo)
            }
            source.resume()
            Self.installed.append(source)
        }
    }

    /// Runs `cleanup` on Ctrl-C or SIGTERM, before the notice and the exit (in the order added).
    public func beforeExit(_ cleanup: @escaping @Sendable () -> Void) {
        cleanups.withLock { $0.append(cleanup) }
    }

    /// Records the last finished step.
    public func step(epoch: Int, stepInEpoch: Int, global: Int) {
        state.withLock { $0.epoch = epoch; $0.stepInEpoch = stepInEpoch; $0.global = global }
    }

    /// Records the last checkpoint written, or (at start) the one the session resumed from.
    public func checkpoint(_ directory: String) { state.withLock { $0.checkpoint = directory } }

    /// What the notice says now.
    public func message() -> String {
        let w = state.withLock { $0 }
        let at = w.global == 0 ? "before the first step of this session ended"
            : "after step \(w.global) (epoch \(w.epoch), step \(w.stepInEpoch) of the epoch)"
        guard let checkpoint = w.checkpoint else {
            return "interrupted \(at); no checkpoint of this run was written yet (see checkpoint.every_steps), "
                + "so the run starts again at step 1 with: " + resumeCommand
        }
        return "interrupted \(at); steps after the last checkpoint are redone. Resume from the last checkpoint, "
            + "\(checkpoint), with: " + resumeCommand
    }
}

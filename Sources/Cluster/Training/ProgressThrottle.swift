import Foundation

/// Decides which committed steps get a progress line (and a `--log-json` line): at most
/// one per `interval` seconds, except that the first step, the last step of every
/// epoch and the final step of the run are always shown.
public struct ProgressThrottle: Sendable, Equatable {
    /// Least seconds between two lines that are not forced.
    public let interval: Double
    private var lastShown: Date?

    public init(interval: Double) { self.interval = max(0, interval) }

    /// Whether to show the line of a step committed at `now`; `force` for epoch ends and the
    /// final step. Remembers the time of every line it allows.
    public mutating func shouldShow(at now: Date, force: Bool) -> Bool {
        if !force, let last = lastShown, now.timeIntervalSince(last) < interval { return false }
        lastShown = now
        return true
    }
}

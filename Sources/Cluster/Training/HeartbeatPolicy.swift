/// When silence means death, for the coordinator and the workers alike.
///
/// A peer is dead after 5 missed heartbeats, but never later than 4 s after its last
/// sign of life: the detection itself then fits the 5 s the cluster promises, with a
/// second left for acting on it (dropping the step in flight) on a loaded machine.
public enum HeartbeatPolicy {
    /// Longest silence, in seconds, before a peer is declared dead.
    public static let maximumSilence = 4.0

    /// Seconds of silence after which a peer beating every `interval` seconds is dead.
    public static func deadAfter(interval: Double) -> Double {
        min(maximumSilence, 5 * max(interval, 0.01))
    }
}

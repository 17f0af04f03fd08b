import Config

/// Why a coordinator or worker stopped.
public enum ClusterError: Error, CustomStringConvertible, Sendable {
    case transport(TransportError)
    case token(ClusterTokenError)
    /// The model (data, checkpoint, numeric step) failed.
    case model(String)
    /// Replicas' parameters or reduced gradients differ: the run cannot continue safely.
    case divergence(String)
    case config(String)
    /// A worker reached no coordinator for `seconds` (`--give-up-after`).
    case gaveUp(coordinator: String, seconds: Double, lastError: TransportError)

    public var description: String {
        switch self {
        case .transport(let e): return e.description
        case .token(let e): return e.description
        case .model(let s): return s
        case .divergence(let s): return "replicas diverged: \(s)"
        case .config(let s): return "configuration: \(s)"
        case .gaveUp(let coordinator, let seconds, let lastError):
            return "gave up after \(Int(seconds.rounded())) s without reaching the coordinator at \(coordinator) (last attempt: \(lastError))"
        }
    }
}

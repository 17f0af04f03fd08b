#if canImport(Glibc)
import Glibc
#endif
import Config
import Sockets

/// Socket-level failures, each naming the peer or address and the system's reason.
public enum TransportError: Error, CustomStringConvertible, Sendable {
    case badAddress(String, reason: String)
    case resolve(host: String, reason: String)
    case connect(address: String, reason: String)
    /// A ring member's ring port could not be reached before the link deadline.
    case ringPeerUnreachable(workerID: Int, address: String, reason: String)
    case bind(address: String, reason: String)
    case timedOut(peer: String, waitingFor: String, seconds: Double)
    case closed(peer: String)
    case io(peer: String, operation: String, reason: String)
    /// The peer sent bytes that break the protocol.
    case protocolViolation(peer: String, WireError)
    /// The peer was refused (or refused us) during authentication.
    case refused(peer: String, reason: String)

    public var description: String {
        switch self {
        case .badAddress(let s, let reason): return "'\(s)' is not a HOST:PORT address: \(reason)"
        case .resolve(let host, let reason): return "cannot resolve host '\(host)': \(reason)"
        case .connect(let address, let reason): return "cannot connect to \(address): \(reason)"
        case .ringPeerUnreachable(let id, let address, let reason): return "ring port \(address) of worker \(id) is unreachable: \(reason)"
        case .bind(let address, let reason): return "cannot listen on \(address): \(reason)"
        case .timedOut(let peer, let what, let seconds): return "\(peer): no \(what) within \(String(format: "%.1f", seconds)) s"
        case .closed(let peer): return "\(peer) closed the connection"
        case .io(let peer, let op, let reason): return "\(peer): \(op) failed: \(reason)"
        case .protocolViolation(let peer, let e): return "\(peer) broke the protocol: \(e.description)"
        case .refused(let peer, let reason): return "\(peer) refused: \(reason)"
        }
    }

    /// The text of the current `errno`.
    static func errnoText(_ code: Int32 = errno) -> String { SocketError.errnoText(code) }

    /// A failed listen on (`listening`) or connect to `address`, named as the cluster names it.
    init(_ error: SocketError, address: HostPort, listening: Bool) {
        switch error {
        case .resolve(_, let reason): self = .resolve(host: address.host, reason: reason)
        case .socket(_, _, let reason):
            self = listening ? .bind(address: address.description, reason: reason) : .connect(address: address.description, reason: reason)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A socket call that failed, naming the host or address and the system's reason.
public enum SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host name could not be resolved to an address.
    case resolve(host: String, reason: String)
    /// A socket call failed; `call` is `socket`, `bind`, `listen`, `connect`, ... and `reason` the system's message.
    case socket(call: String, address: String, reason: String)

    public var description: String {
        switch self {
        case .resolve(let host, let reason): return "cannot resolve \(host): \(reason)"
        case .socket(let call, let address, let reason): return "\(address): \(call) failed: \(reason)"
        }
    }

    /// The system's reason for the failure: the reason alone, without the call.
    public var reason: String {
        switch self {
        case .resolve(_, let reason), .socket(_, _, let reason): return reason
        }
    }

    /// The text of the current `errno` (or of `code`).
    public static func errnoText(_ code: Int32 = errno) -> String {
        guard let s = strerror(code) else { return "errno \(code)" }
        return String(cString: s) + " (errno \(code))"
    }
}

import Sockets

/// Why an `HTTPServer` could not start.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host name could not be resolved to an address.
    case unresolvable(host: String, reason: String)
    /// A socket call failed; `call` is `socket`, `bind`, `listen`, ... and `reason` the system's message.
    case socket(call: String, address: String, reason: String)

    init(_ error: SocketError) {
        switch error {
        case .resolve(let host, let reason): self = .unresolvable(host: host, reason: reason)
        case .socket(let call, let address, let reason): self = .socket(call: call, address: address, reason: reason)
        }
    }

    public var description: String {
        switch self {
        case .unresolvable(let host, let reason):
            return "cannot resolve \(host): \(reason)"
        case .socket(let call, let address, let reason):
            return "cannot listen on \(address): \(call) failed: \(reason)"
        }
    }
}

/// Why the dashboard did not start.
public enum DashboardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `dashboard.listen` is not `HOST:PORT`.
    case invalidAddress(String, reason: String)
    /// A non-loopback address (e.g. `0.0.0.0:8080`) without explicit permission.
    case nonLoopbackRefused(String)
    /// The HTTP server could not bind or listen.
    case server(HTTPServerError)

    public var description: String {
        switch self {
        case .invalidAddress(let text, let reason):
            return "dashboard.listen \"\(text)\" is not a valid HOST:PORT address: \(reason)"
        case .nonLoopbackRefused(let text):
            return "refusing to serve the dashboard on \(text): it is not a loopback address and would expose the "
                + "dashboard (no authentication) to the network; write dashboard.listen: \(text) in cluster.yaml to allow it"
        case .server(let error):
            return "dashboard: \(error)"
        }
    }
}

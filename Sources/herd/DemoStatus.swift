import Dashboard
import Foundation
import Sockets

/// Reads the coordinator's progress from its dashboard, for the demo's hot join.
enum DemoStatus {
    /// The run's status from `GET /api/status` on 127.0.0.1:`port`, or nil when
    /// the dashboard does not answer (yet).
    static func fetch(port: Int) -> DashboardStatus? {
        guard let body = HTTPClient.get(host: "127.0.0.1", port: port, path: "/api/status") else { return nil }
        return try? Dashboard.decoder.decode(DashboardStatus.self, from: Data(body))
    }
}

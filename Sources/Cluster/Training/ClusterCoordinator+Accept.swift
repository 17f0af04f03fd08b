import Config
import Foundation

extension ClusterCoordinator {
    /// Accepts connections on a background thread; each peer is authenticated on
    /// its own thread (a slow or hostile peer never blocks the run), then its
    /// messages are queued for the coordinator's thread and heartbeats are sent to it.
    func startAccepting(_ listener: Listener) {
        let token = token, events = events, idCounter = idCounter, options = options, log = log, handle = handle, ended = ended
        listener.serveInBackground(name: "coordinator port \(listener.address)", maxPayload: options.maxPayload, log: log) { connection, authenticated in
            Self.serve(connection, token: token, events: events, idCounter: idCounter, options: options, log: log,
                       handle: handle, ended: ended, authenticated: authenticated)
        }
    }

    private static func serve(_ connection: Connection, token: ClusterToken, events: EventQueue<CoordinatorEvent>,
                              idCounter: LockedBox<Int>, options: CoordinatorOptions, log: @Sendable (String) -> Void,
                              handle: CoordinatorHandle, ended: LockedBox<Bool>, authenticated: @Sendable () -> Void) {
        let id = idCounter.update { v -> Int in defer { v += 1 }; return v }
        let hello: Hello
        do {
            hello = try Handshake.server(connection, token: token) { hello in
                guard hello.role == .worker else { return .failure(Refused(reason: "the coordinator takes workers only")) }
                guard (1...65535).contains(hello.dataPort) else { return .failure(Refused(reason: "no ring port announced")) }
                return .success(Welcome(workerID: id, runName: options.runName))
            }
            authenticated()
            try connection.send(.config(ConfigMessage(json: options.configJSON)))
        } catch {
            log("refused a connection from \(connection.remote): \(error)")
            return
        }
        // A worker's reader drains its socket all the time: a send stuck longer than a heartbeat
        // timeout means a frozen worker, and must not stall the coordinator's thread past it.
        connection.setSendTimeout(seconds: options.deadAfterSeconds)
        let ring = RingMember(workerID: id, host: connection.remote.host, port: hello.dataPort)
        events.push(.joined(id: id, name: hello.name.isEmpty ? "worker\(id)" : hello.name, connection: connection, ring: ring, threads: hello.threads))
        // Heartbeats to the worker, so it notices a dead coordinator. A worker that got in
        // just as `run()` returned (it reconnects at once after `bye`) is let go, so it
        // finds the next coordinator instead of waiting on this one forever.
        Thread.detachNewThread {
            var sequence: UInt64 = 0
            while !connection.closed && !handle.stopFlag.get() && !ended.get() {
                sequence += 1
                do { try connection.send(.heartbeat(sequence)) } catch { break }
                Thread.sleep(forTimeInterval: options.heartbeatSeconds)
            }
            if ended.get() { connection.close() }
        }
        // Messages in, until the worker goes silent for too long or breaks the protocol.
        while true {
            do {
                let message = try connection.receive(timeout: options.deadAfterSeconds, waitingFor: "heartbeat")
                events.push(.message(id, message))
            } catch {
                connection.close()
                events.push(.lost(id, "\(error)"))
                return
            }
        }
    }
}

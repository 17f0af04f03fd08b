import Config
import Foundation
import Synchronization

/// A worker's side of the worker-to-worker ring: a listener on which
/// predecessors connect (authenticated with the cluster token, like every
/// connection), and the links of the current ring generation.
public final class RingEndpoint: Sendable {
    /// Where predecessors connect.
    public let address: HostPort
    private let listener: Listener
    private let token: ClusterToken
    private let ownID: LockedBox<Int>
    private let inbox = LockedBox<[Key: Connection]>([:])
    private let current = LockedBox<RingLinks?>(nil)
    /// The link to the successor while its handshake runs.
    private let connecting = LockedBox<Connection?>(nil)
    private let log: @Sendable (String) -> Void

    struct Key: Hashable, Sendable { var generation: Int; var from: Int }

    /// Listens on `address` (port 0: any free port) and accepts ring peers in the background.
    public init(listen address: HostPort, token: ClusterToken, workerID: Int = 0,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(TransportError) {
        listener = try Listener(on: address)
        self.address = listener.address
        self.token = token
        self.ownID = LockedBox(workerID)
        self.log = log
        listener.serveInBackground(name: "ring port \(listener.address)", log: log) { [inbox, ownID, token, log] connection, authenticated in
            do {
                let hello = try Handshake.server(connection, token: token) { hello in
                    guard hello.role == .ringPeer else {
                        return .failure(Refused(reason: "this port takes ring links only; connect workers to the coordinator"))
                    }
                    return .success(Welcome(workerID: ownID.get(), runName: ""))
                }
                authenticated()
                inbox.update { box in
                    box[Key(generation: hello.ringGeneration, from: hello.workerID)] = connection
                    // Forget links of generations long gone.
                    for key in box.keys where key.generation < hello.ringGeneration - 2 {
                        box[key]?.close(); box[key] = nil
                    }
                }
            } catch {
                log("ring listener: refused \(connection.remote): \(error)")
            }
        }
    }

    /// Stops accepting ring links (tests: a firewall closing the port).
    func stopListening() { listener.close() }

    /// Sets the id this worker announces (once the coordinator assigned it).
    public func setWorkerID(_ id: Int) { ownID.set(id) }

    /// This worker's position in `ring` (nil when it is not a member).
    public func rank(in ring: [RingMember]) -> Int? {
        let me = ownID.get()
        return ring.firstIndex { $0.workerID == me }
    }

    /// The links for `generation` of `ring`, opening them if needed: we connect to our
    /// successor within `timeout` seconds, and wait for our predecessor to connect to us
    /// within twice that.
    ///
    /// The longer wait charges a link that never forms to the member that cannot be reached:
    /// when our port is closed to our predecessor, it gives up first and names us
    /// (`.ringPeerUnreachable`), and the coordinator evicts us with that message before we
    /// would report our own wait (which, reported first, would drop the attempt and cancel
    /// the predecessor's report, leaving us to be evicted for failing twice instead).
    public func links(generation: Int, ring: [RingMember], timeout: Double,
                      cancelled: () -> Bool = { false }) throws(TransportError) -> RingLinks {
        let me = ownID.get()
        if let links = current.get(), links.generation == generation, !links.broken { return links }
        closeLinks()
        guard let rank = ring.firstIndex(where: { $0.workerID == me }) else {
            throw .io(peer: "ring", operation: "join ring", reason: "worker \(me) is not in ring generation \(generation)")
        }
        guard ring.count > 1 else {
            let links = RingLinks(generation: generation, rank: 0, size: 1, next: nil, previous: nil)
            current.set(links)
            return links
        }
        let successor = ring[(rank + 1) % ring.count]
        let predecessor = ring[(rank - 1 + ring.count) % ring.count]
        let deadline = Deadline(seconds: timeout)
        let inboundDeadline = Deadline(seconds: 2 * timeout)
        // The successor may not listen yet (it is starting, or re-planning): retry until the deadline.
        var next: Connection?
        while next == nil {
            let attempt = Result { () throws(TransportError) -> Connection in
                let c = try Connection.connect(to: HostPort(host: successor.host, port: successor.port), timeout: max(0.5, deadline.remaining))
                // A frozen successor accepts the connection (its kernel does) but never answers the
                // handshake: let `closeLinks()` (an abort) cut the wait short.
                connecting.set(c)
                defer { connecting.set(nil) }
                if cancelled() { c.close() }
                let shaken = Result { () throws(TransportError) in
                    _ = try Handshake.client(c, token: token, hello: Hello(role: .ringPeer, name: "worker \(me)", nonce: [],
                                                                           ringGeneration: generation, workerID: me))
                }
                if case .failure = shaken { c.close() }
                try shaken.get()
                return c
            }
            switch attempt {
            case .success(let c): next = c
            case .failure(let error):
                // A refusal (wrong token) will not get better by retrying.
                if case .refused = error { throw error }
                if cancelled() { throw error }
                if deadline.remaining <= 0 {
                    if case .connect(_, let reason) = error {
                        throw .ringPeerUnreachable(workerID: successor.workerID, address: "\(successor.host):\(successor.port)", reason: reason)
                    }
                    throw error
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        guard let next else { throw .timedOut(peer: "worker \(successor.workerID)", waitingFor: "ring link", seconds: timeout) }
        let key = Key(generation: generation, from: predecessor.workerID)
        while true {
            if let previous = inbox.update({ box -> Connection? in
                defer { box[key] = nil }
                return box[key]
            }) {
                let links = RingLinks(generation: generation, rank: rank, size: ring.count, next: next, previous: previous)
                current.set(links)
                return links
            }
            if inboundDeadline.remaining <= 0 || cancelled() {
                next.close()
                throw .timedOut(peer: "worker \(predecessor.workerID) (\(predecessor.host):\(predecessor.port))",
                                waitingFor: "its ring link of generation \(generation) to our port \(address)", seconds: 2 * timeout)
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// Closes the current links: an all-reduce blocked on them fails at once.
    public func closeLinks() {
        connecting.get()?.close()
        if let links = current.get() {
            links.next?.close(); links.previous?.close()
            current.set(nil)
        }
    }

    /// Stops listening and closes every link.
    public func shutdown() {
        listener.close()
        closeLinks()
        inbox.update { box in for c in box.values { c.close() }; box = [:] }
    }
}

/// The two links of one replica in one ring generation.
public struct RingLinks: Sendable {
    public let generation: Int
    public let rank: Int
    public let size: Int
    public let next: Connection?
    public let previous: Connection?
    var broken: Bool { (next?.closed ?? false) || (previous?.closed ?? false) }

    /// Returns once every member has called `barrier` for `step` (a one-float all-reduce):
    /// what follows starts on every member together, so its time is the ring's own, not a
    /// wait for the slowest member's compute. Returns the seconds waited.
    ///
    /// `timeout` bounds the wait for the slowest member; an abort (`RingEndpoint.closeLinks()`)
    /// or a peer's death ends it earlier.
    public func barrier(step: Int, timeout: Double) throws(TransportError) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        var flag: Float = 0
        _ = try withUnsafeMutablePointer(to: &flag) { (p) throws(TransportError) -> RingAllReduce.Stats in
            try allReduce(UnsafeMutableBufferPointer(start: p, count: 1), step: step, timeout: timeout)
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// All-reduces `buffer` and then `addends` (sum, in ring order) over this ring; see `RingAllReduce.run`.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, addends: [UnsafeBufferPointer<Float>] = [], step: Int,
                          timeout: Double, chunkFloats: Int = RingAllReduce.defaultChunkFloats) throws(TransportError) -> RingAllReduce.Stats {
        try RingAllReduce.run(buffer, addends: addends, rank: rank, size: size, step: step, next: next, previous: previous,
                              chunkFloats: chunkFloats, timeout: timeout)
    }
}

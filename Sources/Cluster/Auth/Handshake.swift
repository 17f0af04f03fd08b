import Config
import Hashing
/// Version check, mutual authentication and key agreement, run before anything else on
/// every connection (worker → coordinator and worker → worker).
///
///     client (connects)                         server (listens)
///     "HERD" v, hello(nonce_c, ...) ─────────▶ check magic, version
///               ◀──────────────────────────── "HERD" v, challenge(nonce_s)
///     proof(HMAC(token, "herd-client-4" ‖ T)) ─▶ check: else refused, close
///               ◀──────────────────────────── proof(HMAC(token, "herd-server-4" ‖ T))
///     check: else close                         ── from here every frame is sealed ──
///               ◀════════════════════════════ welcome | refused(reason)
///
/// T = SHA-256("herd-handshake-4" ‖ hello payload ‖ challenge payload): both proofs cover
/// everything said so far, so a changed hello (name, ring port) breaks them. The peer that
/// connects proves first; a server answers a stranger with nothing it could use to test
/// token guesses offline. Each direction then gets its own key,
/// HKDF-SHA256(token, salt: nonce_c ‖ nonce_s, info: "herd-4 client to server" ‖ T) and
/// "… server to client" (see `FrameSeal` for the frames). The token never crosses the wire.
///
/// Before the peer has proved the token, frames over `maxFrameBytes` end the connection
/// and the whole exchange must finish within `totalTimeout` seconds.
public enum Handshake {
    /// Seconds a peer gets for each handshake message.
    public static let defaultTimeout: Double = 5
    /// Seconds a peer gets for the whole handshake.
    public static let totalTimeout: Double = 10
    /// Largest frame payload accepted before the peer has proved the token (the biggest
    /// handshake message, a hello with a long name, is far below it).
    public static let maxFrameBytes = 4096

    static let clientLabel = Array("herd-client-4".utf8)
    static let serverLabel = Array("herd-server-4".utf8)

    /// The transcript hash T both proofs and both keys are bound to.
    static func transcript(hello: [UInt8], challenge: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(Array("herd-handshake-4".utf8))
        h.update(hello)
        h.update(challenge)
        return h.finalize()
    }

    static func proof(token: ClusterToken, label: [UInt8], transcript: [UInt8]) -> [UInt8] {
        HMACSHA256.mac(key: token.keyBytes, message: label + transcript)
    }

    /// The two sealing keys: client → server and server → client.
    static func keys(token: ClusterToken, clientNonce: [UInt8], serverNonce: [UInt8],
                     transcript: [UInt8]) -> (clientToServer: [UInt8], serverToClient: [UInt8]) {
        let prk = HKDF.extract(salt: clientNonce + serverNonce, inputKey: token.keyBytes)
        return (HKDF.expand(pseudorandomKey: prk, info: Array("herd-4 client to server".utf8) + transcript, count: 32),
                HKDF.expand(pseudorandomKey: prk, info: Array("herd-4 server to client".utf8) + transcript, count: 32))
    }

    /// 32 bytes from the system's secure generator.
    public static func freshNonce() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<Message.nonceSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Client side. Returns the server's welcome; the connection is sealed from then on.
    ///
    /// - Throws: `.refused` when the server refuses (wrong token, version) or cannot prove
    ///   it knows the token; `.timedOut`, `.closed`, `.protocolViolation` otherwise.
    public static func client(_ connection: Connection, token: ClusterToken, hello: Hello,
                              timeout: Double = defaultTimeout) throws(TransportError) -> Welcome {
        let deadline = Deadline(seconds: totalTimeout)
        func left() -> Double { max(0.001, min(timeout, deadline.remaining)) }
        var hello = hello
        hello.nonce = freshNonce()
        let helloFrame = Message.hello(hello).frame()
        try connection.sendRaw(Preamble.bytes() + helloFrame.encoded())
        let preamble = try connection.receiveRaw(count: Preamble.size, timeout: left())
        let version: UInt32
        do { version = try Preamble.parse(preamble) } catch { throw .protocolViolation(peer: connection.peer, error) }
        if version != Preamble.version {
            // The server explains in a `refused` frame (a layout every version keeps).
            if case .refused(let r)? = try? connection.receive(timeout: left()) {
                throw .refused(peer: connection.peer, reason: r.reason)
            }
            throw .protocolViolation(peer: connection.peer, .versionMismatch(peer: version, ours: Preamble.version))
        }
        let challengeFrame = try connection.receiveFrame(timeout: left(), waitingFor: "challenge")
        let challenge: Challenge
        switch try decode(challengeFrame, on: connection) {
        case .challenge(let c): challenge = c
        case .refused(let r): throw .refused(peer: connection.peer, reason: r.reason)
        case let other: throw .protocolViolation(peer: connection.peer, .unexpected(message: other.kind.name, expected: "challenge"))
        }
        let t = transcript(hello: helloFrame.payload, challenge: challengeFrame.payload)
        try connection.send(.proof(Proof(proof: proof(token: token, label: clientLabel, transcript: t))))
        switch try connection.receive(timeout: left(), waitingFor: "the server's proof") {
        case .proof(let p):
            guard HMACSHA256.constantTimeEqual(proof(token: token, label: serverLabel, transcript: t), p.proof) else {
                connection.close()
                throw .refused(peer: connection.peer, reason: "it could not prove it knows the cluster token (wrong token on one side?)")
            }
        case .refused(let r): throw .refused(peer: connection.peer, reason: r.reason)
        case let other: throw .protocolViolation(peer: connection.peer, .unexpected(message: other.kind.name, expected: "proof"))
        }
        let keys = keys(token: token, clientNonce: hello.nonce, serverNonce: challenge.nonce, transcript: t)
        connection.startSealing(sendKey: keys.clientToServer, receiveKey: keys.serverToClient)
        switch try connection.receive(timeout: left(), waitingFor: "welcome") {
        case .welcome(let w): return w
        case .refused(let r): throw .refused(peer: connection.peer, reason: r.reason)
        case let other: throw .protocolViolation(peer: connection.peer, .unexpected(message: other.kind.name, expected: "welcome"))
        }
    }

    /// Server side: checks version and token, then asks `admit` whether to welcome this peer.
    /// On any failure the peer is sent a `refused` frame with the reason (when it can
    /// understand one), the connection is closed and the error thrown. On success the
    /// connection is sealed and accepts frames up to its `maxPayload`.
    public static func server(_ connection: Connection, token: ClusterToken, timeout: Double = defaultTimeout,
                              admit: (Hello) -> Result<Welcome, Refused>) throws(TransportError) -> Hello {
        let result = Result { () throws(TransportError) in try serverSteps(connection, token: token, timeout: timeout, admit: admit) }
        if case .failure = result { connection.close() }
        return try result.get()
    }

    private static func refuse(_ connection: Connection, _ reason: String) -> TransportError {
        try? connection.send(.refused(Refused(reason: reason)))
        return .refused(peer: connection.peer, reason: reason)
    }

    private static func decode(_ frame: Frame, on connection: Connection) throws(TransportError) -> Message {
        do { return try Message(frame: frame) } catch { throw .protocolViolation(peer: connection.peer, error) }
    }

    private static func serverSteps(_ connection: Connection, token: ClusterToken, timeout: Double,
                                    admit: (Hello) -> Result<Welcome, Refused>) throws(TransportError) -> Hello {
        let deadline = Deadline(seconds: totalTimeout)
        func left() -> Double { max(0.001, min(timeout, deadline.remaining)) }
        let preamble = try connection.receiveRaw(count: Preamble.size, timeout: left())
        let version: UInt32
        do { version = try Preamble.parse(preamble) } catch { throw .protocolViolation(peer: connection.peer, error) }
        try connection.sendRaw(Preamble.bytes())
        guard version == Preamble.version else {
            throw refuse(connection, WireError.versionMismatch(peer: version, ours: Preamble.version).description)
        }
        let helloFrame = try connection.receiveFrame(timeout: left(), waitingFor: "hello")
        let hello: Hello
        switch try decode(helloFrame, on: connection) {
        case .hello(let h): hello = h
        case let other: throw refuse(connection, WireError.unexpected(message: other.kind.name, expected: "hello").description)
        }
        let serverNonce = freshNonce()
        let challengeFrame = Message.challenge(Challenge(nonce: serverNonce)).frame()
        try connection.sendRaw(challengeFrame.encoded())
        let t = transcript(hello: helloFrame.payload, challenge: challengeFrame.payload)
        let clientProof: Proof
        switch try connection.receive(timeout: left(), waitingFor: "proof") {
        case .proof(let p): clientProof = p
        case .refused(let r): throw .refused(peer: connection.peer, reason: "it refused us: \(r.reason)")
        case let other: throw refuse(connection, WireError.unexpected(message: other.kind.name, expected: "proof").description)
        }
        guard HMACSHA256.constantTimeEqual(proof(token: token, label: clientLabel, transcript: t), clientProof.proof) else {
            throw refuse(connection, "wrong cluster token (authentication failed)")
        }
        // Only now, to a peer that proved the token, the server proves it too.
        try connection.send(.proof(Proof(proof: proof(token: token, label: serverLabel, transcript: t))))
        let keys = keys(token: token, clientNonce: hello.nonce, serverNonce: serverNonce, transcript: t)
        connection.startSealing(sendKey: keys.serverToClient, receiveKey: keys.clientToServer)
        switch admit(hello) {
        case .success(let welcome):
            try connection.send(.welcome(welcome))
            return hello
        case .failure(let refused):
            throw refuse(connection, refused.reason)
        }
    }
}

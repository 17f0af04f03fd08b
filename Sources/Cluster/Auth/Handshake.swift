import Config
/// Version check and mutual challenge-response authentication, run before
/// anything else on every connection (worker → coordinator and worker → worker).
///
///     client                                   server
///     "HERD" v  ─────────────────────────────▶ check magic, version
///     hello(nonce_c, name, ...) ─────────────▶
///               ◀──────────────────────────── "HERD" v
///               ◀──────── challenge(nonce_s, HMAC(token, "herd-server-1" ‖ nonce_c ‖ nonce_s))
///     check server proof
///     proof(HMAC(token, "herd-client-1" ‖ nonce_s ‖ nonce_c)) ─▶ check client proof
///               ◀──────────────────────────── welcome | refused(reason)
///
/// The token never crosses the wire. Each side proves itself over the other's
/// fresh nonce, with distinct labels so neither proof can be replayed as the other.
public enum Handshake {
    /// Seconds a peer gets for each handshake message.
    public static let defaultTimeout: Double = 5

    static func serverProof(token: ClusterToken, clientNonce: [UInt8], serverNonce: [UInt8]) -> [UInt8] {
        HMACSHA256.mac(key: token.keyBytes, message: Array("herd-server-1".utf8) + clientNonce + serverNonce)
    }

    static func clientProof(token: ClusterToken, clientNonce: [UInt8], serverNonce: [UInt8]) -> [UInt8] {
        HMACSHA256.mac(key: token.keyBytes, message: Array("herd-client-1".utf8) + serverNonce + clientNonce)
    }

    /// 32 bytes from the system's secure generator.
    public static func freshNonce() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<Message.nonceSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Client side. Returns the server's welcome.
    ///
    /// - Throws: `.refused` when the server refuses (wrong token, version) or cannot prove
    ///   it knows the token; `.timedOut`, `.closed`, `.protocolViolation` otherwise.
    public static func client(_ connection: Connection, token: ClusterToken, hello: Hello,
                              timeout: Double = defaultTimeout) throws(TransportError) -> Welcome {
        var hello = hello
        hello.nonce = freshNonce()
        try connection.sendRaw(Preamble.bytes())
        try connection.send(.hello(hello))
        let preamble = try connection.receiveRaw(count: Preamble.size, timeout: timeout)
        let version: UInt32
        do { version = try Preamble.parse(preamble) } catch { throw .protocolViolation(peer: connection.peer, error) }
        if version != Preamble.version {
            // The server explains in a `refused` frame (a layout every version keeps).
            if case .refused(let r)? = try? connection.receive(timeout: timeout) {
                throw .refused(peer: connection.peer, reason: r.reason)
            }
            throw .protocolViolation(peer: connection.peer, .versionMismatch(peer: version, ours: Preamble.version))
        }
        let challenge: Challenge
        switch try connection.receive(timeout: timeout, waitingFor: "challenge") {
        case .challenge(let c): challenge = c
        case .refused(let r): throw .refused(peer: connection.peer, reason: r.reason)
        case let other: throw .protocolViolation(peer: connection.peer, .unexpected(message: other.kind.name, expected: "challenge"))
        }
        let expected = serverProof(token: token, clientNonce: hello.nonce, serverNonce: challenge.nonce)
        guard HMACSHA256.constantTimeEqual(expected, challenge.proof) else {
            connection.close()
            throw .refused(peer: connection.peer, reason: "it could not prove it knows the cluster token (wrong token on one side?)")
        }
        try connection.send(.proof(Proof(proof: clientProof(token: token, clientNonce: hello.nonce, serverNonce: challenge.nonce))))
        switch try connection.receive(timeout: timeout, waitingFor: "welcome") {
        case .welcome(let w): return w
        case .refused(let r): throw .refused(peer: connection.peer, reason: r.reason)
        case let other: throw .protocolViolation(peer: connection.peer, .unexpected(message: other.kind.name, expected: "welcome"))
        }
    }

    /// Server side: checks version and token, then asks `admit` whether to welcome this peer.
    /// On any failure the peer is sent a `refused` frame with the reason (when it can
    /// understand one), the connection is closed and the error thrown.
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

    private static func serverSteps(_ connection: Connection, token: ClusterToken, timeout: Double,
                                    admit: (Hello) -> Result<Welcome, Refused>) throws(TransportError) -> Hello {
        let preamble = try connection.receiveRaw(count: Preamble.size, timeout: timeout)
        let version: UInt32
        do { version = try Preamble.parse(preamble) } catch { throw .protocolViolation(peer: connection.peer, error) }
        try connection.sendRaw(Preamble.bytes())
        guard version == Preamble.version else {
            throw refuse(connection, WireError.versionMismatch(peer: version, ours: Preamble.version).description)
        }
        let hello: Hello
        switch try connection.receive(timeout: timeout, waitingFor: "hello") {
        case .hello(let h): hello = h
        case let other: throw refuse(connection, WireError.unexpected(message: other.kind.name, expected: "hello").description)
        }
        let serverNonce = freshNonce()
        try connection.send(.challenge(Challenge(nonce: serverNonce,
                                                 proof: serverProof(token: token, clientNonce: hello.nonce, serverNonce: serverNonce))))
        let proof: Proof
        switch try connection.receive(timeout: timeout, waitingFor: "proof") {
        case .proof(let p): proof = p
        case .refused(let r): throw .refused(peer: connection.peer, reason: "it refused us: \(r.reason)")
        case let other: throw refuse(connection, WireError.unexpected(message: other.kind.name, expected: "proof").description)
        }
        let expected = clientProof(token: token, clientNonce: hello.nonce, serverNonce: serverNonce)
        guard HMACSHA256.constantTimeEqual(expected, proof.proof) else {
            throw refuse(connection, "wrong cluster token (authentication failed)")
        }
        switch admit(hello) {
        case .success(let welcome):
            try connection.send(.welcome(welcome))
            return hello
        case .failure(let refused):
            throw refuse(connection, refused.reason)
        }
    }
}

import Config
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Sockets
import Locking
import Synchronization

/// A TCP connection to one peer: owns its socket and its buffers.
///
/// Any thread may `send` (sends are serialised); one thread at a time
/// receives. `close()` shuts the socket down so that a thread blocked in
/// `receive` or `send` on it returns at once with `.closed`; the descriptor
/// itself is released when the object goes away, so it can never be reused
/// under a thread still holding it.
public final class Connection: Sendable, CustomStringConvertible {
    let fd: Int32
    /// Who the peer is, for logs ("worker 'pc2' (10.0.0.2:51234)" once known).
    public let peer: String
    /// The peer's numeric address.
    public let remote: HostPort
    /// Serialises sends; holds the sending direction's seal once the handshake is over.
    private let sendState = Locked<SendState>(SendState())
    let receiveState: Locked<FrameDecoder>
    /// Largest payload accepted from this peer once it has proved the token (before that,
    /// `Handshake.maxFrameBytes`).
    public let maxPayload: Int
    private let isClosed = Atomic<Bool>(false)
    /// Longest a send may make no progress, in milliseconds (see `setSendTimeout`).
    private let sendTimeoutMilliseconds: Atomic<Int>
    private let sentBytes = Atomic<Int>(0)
    let receivedBytes = Atomic<Int>(0)

    /// Wraps a connected socket (takes ownership of `fd`).
    init(fd: Int32, remote: HostPort, peer: String? = nil, maxPayload: Int = Frame.defaultMaxPayload, sendTimeout: Double = 30) {
        self.fd = fd
        self.remote = remote
        self.peer = peer ?? remote.description
        self.receiveState = Locked(FrameDecoder(maxPayload: min(maxPayload, Handshake.maxFrameBytes)))
        self.maxPayload = maxPayload
        self.sendTimeoutMilliseconds = Atomic(Int(sendTimeout * 1000))
        SocketOptions.configure(fd)
        SocketOptions.setSendTimeout(fd, seconds: sendTimeout)
    }

    /// A send that makes no progress for `seconds` (the peer stopped reading: frozen,
    /// cut off) fails with `.timedOut` instead of blocking its thread. Default 30 s.
    public func setSendTimeout(seconds: Double) {
        sendTimeoutMilliseconds.store(Int(seconds * 1000), ordering: .relaxed)
        SocketOptions.setSendTimeout(fd, seconds: seconds)
    }

    deinit { Glibc.close(fd) }

    struct SendState {
        var seal: FrameSeal?
        /// Ring chunks are sealed into this buffer a slice at a time, then sent.
        var scratch: [UInt8] = []
    }

    /// Called by the handshake once both sides proved the token: frames in both directions are
    /// sealed from now on (unless `FrameSeal.wireIsUnsealed`), the peer may send frames up
    /// to `maxPayload`, and the socket gets its large buffers (before, the kernel's small ones).
    func startSealing(sendKey: [UInt8], receiveKey: [UInt8]) {
        SocketOptions.enlargeBuffers(fd)
        let sealed = !FrameSeal.wireIsUnsealed
        sendState.withLock { $0.seal = sealed ? FrameSeal(key: sendKey) : nil }
        receiveState.withLock { decoder in
            decoder.opener = sealed ? FrameSeal(key: receiveKey) : nil
            decoder.maxPayload = maxPayload
        }
    }

    /// Whether frames on this connection are sealed.
    public var isSealed: Bool { sendState.withLock { $0.seal != nil } }

    public var description: String { peer }
    /// Total bytes written to / read from the socket.
    public var bytesSent: Int { sentBytes.load(ordering: .relaxed) }
    public var bytesReceived: Int { receivedBytes.load(ordering: .relaxed) }
    public var closed: Bool { isClosed.load(ordering: .acquiring) }

    /// Connects to `address` within `timeout` seconds.
    public static func connect(to address: HostPort, timeout: Double, maxPayload: Int = Frame.defaultMaxPayload) throws(TransportError) -> Connection {
        do {
            let (fd, reached) = try Socket.connect(host: address.socketHost, port: address.port, timeout: timeout)
            return Connection(fd: fd, remote: HostPort(reached), peer: address.description, maxPayload: maxPayload)
        } catch {
            throw TransportError(error, address: address, listening: false)
        }
    }

    /// A copy of this connection's identity with a better name for logs (same socket).
    public func named(_ name: String) -> String { "\(name) (\(remote))" }

    /// Shuts the socket down: blocked sends and receives on other threads return `.closed`.
    public func close() {
        if !isClosed.exchange(true, ordering: .acquiringAndReleasing) {
            shutdown(fd, Int32(SHUT_RDWR))
        }
    }

    // MARK: Sending

    /// Sends one message (thread-safe; whole frames never interleave).
    public func send(_ message: Message) throws(TransportError) {
        let frame = message.frame()
        let result: Result<Void, TransportError> = sendState.withLock { state in
            // Sealed under the lock: frame numbers must follow the order on the wire.
            let bytes = state.seal == nil ? frame.encoded() : state.seal!.seal(kind: frame.kind, payload: frame.payload)
            return bytes.withUnsafeBytes { buf in Result { () throws(TransportError) in try writeAll(buf) } }
        }
        try result.get()
    }

    /// The bytes `send(frame)` would write, sealed when the connection is (the frame number
    /// is used up): for tests that tamper with frames on the wire.
    func wireBytes(of frame: Frame) -> [UInt8] {
        sendState.withLock { state in
            state.seal == nil ? frame.encoded() : state.seal!.seal(kind: frame.kind, payload: frame.payload)
        }
    }

    /// Sends raw bytes as they are (the preamble; tests sending crafted frames).
    public func sendRaw(_ bytes: [UInt8]) throws(TransportError) {
        let result: Result<Void, TransportError> = bytes.withUnsafeBytes { buf in
            sendState.withLock { _ in Result { () throws(TransportError) in try writeAll(buf) } }
        }
        try result.get()
    }

    /// Sends a `ringChunk` straight from a float buffer, without building a `Message`
    /// (same bytes as `.ringChunk(RingChunk(step:sequence:values:))`). A sealed connection
    /// seals the floats a slice at a time into a scratch buffer and sends each slice.
    public func sendRingChunk(step: Int, sequence: Int, values: UnsafeBufferPointer<Float>) throws(TransportError) {
        var fields = WireWriter(capacity: 20)
        fields.write(step); fields.write(sequence); fields.write(UInt32(values.count))
        let floatBytes = UnsafeRawBufferPointer(values)
        let result: Result<Void, TransportError> = sendState.withLock { state in
            Result { () throws(TransportError) in
                var head: [UInt8] = []
                head.reserveCapacity(Frame.headerSize + fields.bytes.count)
                guard var seal = state.seal else {
                    var crc = CRC32()
                    crc.update(fields.bytes)
                    crc.update(floatBytes)
                    Frame.appendHeader(to: &head, kind: MessageKind.ringChunk.rawValue, payloadCount: fields.bytes.count + floatBytes.count, crc: crc.value)
                    head.append(contentsOf: fields.bytes)
                    try writeAll(head)
                    try writeAll(floatBytes)
                    return
                }
                Frame.appendHeader(to: &head, kind: MessageKind.ringChunk.rawValue,
                                   payloadCount: fields.bytes.count + floatBytes.count + FrameSeal.overhead, crc: 0, flags: FrameSeal.sealedFlag)
                var stream = head.withUnsafeBytes { seal.next(header: $0) }
                state.seal = seal
                head.append(contentsOf: fields.bytes)
                head.withUnsafeMutableBytes { h in
                    stream.seal(from: h.baseAddress! + Frame.headerSize, to: h.baseAddress! + Frame.headerSize, count: h.count - Frame.headerSize)
                }
                try writeAll(head)
                if state.scratch.count < Self.sealSliceBytes { state.scratch = [UInt8](repeating: 0, count: Self.sealSliceBytes) }
                var done = 0
                while done < floatBytes.count, let source = floatBytes.baseAddress {
                    let n = min(Self.sealSliceBytes, floatBytes.count - done)
                    let sent: Result<Void, TransportError> = state.scratch.withUnsafeMutableBytes { out in
                        stream.seal(from: source + done, to: out.baseAddress!, count: n)
                        return Result { () throws(TransportError) in try writeAll(UnsafeRawBufferPointer(rebasing: out[0..<n])) }
                    }
                    try sent.get()
                    done += n
                }
                try writeAll(stream.tag())
            }
        }
        try result.get()
    }

    /// Bytes of a ring chunk sealed before they are handed to the kernel.
    static let sealSliceBytes = 64 << 10

    private func writeAll(_ bytes: [UInt8]) throws(TransportError) {
        let result: Result<Void, TransportError> = bytes.withUnsafeBytes { b in Result { () throws(TransportError) in try writeAll(b) } }
        try result.get()
    }

    private func writeAll(_ buffer: UnsafeRawBufferPointer) throws(TransportError) {
        guard var p = buffer.baseAddress else { return }
        var left = buffer.count
        while left > 0 {
            if closed { throw .closed(peer: peer) }
            let n = Glibc.send(fd, p, left, Int32(MSG_NOSIGNAL))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { throw .timedOut(peer: peer, waitingFor: "progress sending (peer not reading)",
                                                                   seconds: Double(sendTimeoutMilliseconds.load(ordering: .relaxed)) / 1000) }
                if e == EPIPE || e == ECONNRESET || closed { throw .closed(peer: peer) }
                throw .io(peer: peer, operation: "send", reason: TransportError.errnoText(e))
            }
            p += n; left -= n
            sentBytes.add(n, ordering: .relaxed)
        }
    }

    // MARK: Receiving

    /// Receives exactly `count` raw bytes (the preamble) within `timeout` seconds.
    public func receiveRaw(count: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        let deadline = Deadline(seconds: timeout)
        var out: [UInt8] = []
        while out.count < count {
            try waitReadable(until: deadline, what: "handshake bytes")
            var chunk = [UInt8](repeating: 0, count: count - out.count)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { throw .closed(peer: peer) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if closed { throw .closed(peer: peer) }
                throw .io(peer: peer, operation: "recv", reason: TransportError.errnoText())
            }
            receivedBytes.add(n, ordering: .relaxed)
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// The next message, waiting at most `timeout` seconds for it to arrive completely.
    ///
    /// - Throws: `.timedOut`, `.closed`, `.io`, or `.protocolViolation` for a malformed
    ///   frame (after which the connection is useless and should be closed).
    public func receive(timeout: Double, waitingFor what: String = "message") throws(TransportError) -> Message {
        let frame = try receiveFrame(timeout: timeout, waitingFor: what)
        do {
            return try Message(frame: frame)
        } catch {
            throw .protocolViolation(peer: peer, error)
        }
    }

    /// The next whole frame within `timeout` seconds.
    public func receiveFrame(timeout: Double, waitingFor what: String = "message") throws(TransportError) -> Frame {
        let deadline = Deadline(seconds: timeout)
        return try receiveState.withLock { (decoder) throws(TransportError) -> Frame in
            while true {
                let decoded: Result<Frame?, WireError> = Result { () throws(WireError) in try decoder.next() }
                switch decoded {
                case .success(let frame?): return frame
                case .success(nil): break
                case .failure(let error): throw .protocolViolation(peer: peer, error)
                }
                if closed { throw .closed(peer: peer) }
                try waitReadable(until: deadline, what: what)
                // (Before the peer proved the token, no read goes past the small handshake frame limit.)
                let want = min(max(decoder.bytesWanted, 64 << 10), 4 << 20, Frame.headerSize + decoder.maxFrameLength)
                let n = try withUnsafeTemporaryAllocation(byteCount: want, alignment: 16) { (buf) throws(TransportError) -> Int in
                    let n = recv(fd, buf.baseAddress, want, 0)
                    if n > 0 { decoder.append(UnsafeRawBufferPointer(rebasing: buf[0..<n])) }
                    return n
                }
                if n == 0 { throw .closed(peer: peer) }
                if n < 0 {
                    let e = errno
                    if e == EINTR || e == EAGAIN { continue }
                    if closed || e == ECONNRESET { throw .closed(peer: peer) }
                    throw .io(peer: peer, operation: "recv", reason: TransportError.errnoText(e))
                }
                receivedBytes.add(n, ordering: .relaxed)
            }
        }
    }

    func waitReadable(until deadline: Deadline, what: String) throws(TransportError) {
        while true {
            if closed { throw .closed(peer: peer) }
            let left = deadline.remaining
            if left <= 0 { throw .timedOut(peer: peer, waitingFor: what, seconds: deadline.total) }
            // Wake at least every 250 ms to notice close() from another thread.
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, Int32(min(250, max(1, left * 1000))))
            if rc > 0 { return }
            if rc < 0 && errno != EINTR { throw .io(peer: peer, operation: "poll", reason: TransportError.errnoText()) }
        }
    }
}

/// A point in time `seconds` from now (monotonic clock).
struct Deadline: Sendable {
    let start = DispatchTime.now().uptimeNanoseconds
    let total: Double
    init(seconds: Double) { total = seconds }
    var remaining: Double { total - Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

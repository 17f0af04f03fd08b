#if canImport(Glibc)
import Glibc
#endif

extension Connection {
    /// What to do with a received ring chunk.
    public enum ChunkMode: Sendable { case add, copy }

    /// Receives the `ringChunk` frame `(step, sequence)` holding exactly `count` floats and
    /// adds it into (or copies it over) `destination`, reading the payload straight from
    /// the socket into `scratch` (`.add`) or into `destination` itself (`.copy`), with no
    /// per-chunk allocation. After a failed `.copy` the destination holds garbage.
    ///
    /// Same bytes and checks as `receive` + `Message(frame:)`: CRC32, size limit, kind,
    /// step, sequence and count must all match, else `.protocolViolation`.
    public func receiveRingChunk(step: Int, sequence: Int, count: Int, into destination: UnsafeMutablePointer<Float>?,
                                 mode: ChunkMode, scratch: UnsafeMutableRawBufferPointer, timeout: Double) throws(TransportError) {
        let deadline = Deadline(seconds: timeout)
        let what = "all-reduce chunk \(sequence) of step \(step)"
        let prefix = Frame.headerSize + 20   // header, step, sequence, float count
        let result: Result<Void, TransportError> = receiveState.withLock { decoder in
            Result { () throws(TransportError) in
                // Header and fields: read exactly what is missing, so no payload byte lands in the decoder.
                while decoder.bufferedCount < prefix {
                    try waitReadable(until: deadline, what: what)
                    let missing = prefix - decoder.bufferedCount
                    var tmp = [UInt8](repeating: 0, count: missing)
                    let n = tmp.withUnsafeMutableBytes { recv(fd, $0.baseAddress, missing, 0) }
                    decoder.append(tmp[0..<(try checkReceived(n))])
                }
                guard let head = decoder.peek(prefix) else { return }
                var reader = WireReader(head)
                let length = Int(try wire { () throws(WireError) in try reader.u32("frame.length") })
                let kind = try wire { () throws(WireError) in try reader.u8("frame.kind") }
                let flags = try wire { () throws(WireError) in try reader.u8("frame.flags") }
                let reserved = try wire { () throws(WireError) in try reader.u16("frame.reserved") }
                let crc = try wire { () throws(WireError) in try reader.u32("frame.crc") }
                let gotStep = try wire { () throws(WireError) in try reader.int("ringChunk.step") }
                let gotSequence = try wire { () throws(WireError) in try reader.int("ringChunk.sequence") }
                let gotCount = Int(try wire { () throws(WireError) in try reader.u32("ringChunk.values.count") })
                guard length <= maxPayload else { throw .protocolViolation(peer: peer, .frameTooLarge(length: length, limit: maxPayload)) }
                guard flags == 0, reserved == 0 else { throw .protocolViolation(peer: peer, .badHeader("flags and reserved bytes must be zero")) }
                guard kind == MessageKind.ringChunk.rawValue, gotStep == step, gotSequence == sequence, gotCount == count,
                      length == 20 + 4 * count, 4 * count <= scratch.count else {
                    throw .protocolViolation(peer: peer, .unexpected(
                        message: "frame type \(kind) (step \(gotStep), piece \(gotSequence), \(gotCount) floats)",
                        expected: "ring chunk \(sequence) of step \(step) with \(count) floats"))
                }
                var fieldsCRC = CRC32()
                fieldsCRC.update(Array(head[Frame.headerSize...]))
                decoder.skip(prefix)
                // Payload floats: whatever is buffered, then straight from the socket; a copied
                // chunk lands in place (no second pass), a summed one in `scratch`.
                let total = 4 * count
                // (`scratch` holds at least `total` bytes, checked above, so `target` is nil only when total is 0.)
                let target = (mode == .copy ? destination.map(UnsafeMutableRawPointer.init) : nil) ?? scratch.baseAddress
                if let target, total > 0 {
                    var filled = decoder.take(upTo: total, into: target)
                    while filled < total {
                        try waitReadable(until: deadline, what: what)
                        filled += try checkReceived(recv(fd, target + filled, total - filled, 0))
                    }
                    fieldsCRC.update(UnsafeRawBufferPointer(start: target, count: total))
                }
                guard fieldsCRC.value == crc else {
                    throw .protocolViolation(peer: peer, .checksumMismatch(kind: kind, expected: crc, actual: fieldsCRC.value))
                }
                guard mode == .add, total > 0, let destination, let target else { return }
                let src = target.assumingMemoryBound(to: Float.self)
                for i in 0..<count { destination[i] = destination[i] + src[i] }
            }
        }
        try result.get()
    }

    private func wire<T>(_ body: () throws(WireError) -> T) throws(TransportError) -> T {
        do { return try body() } catch { throw .protocolViolation(peer: peer, error) }
    }

    /// Bytes a `recv` returned (0 for an interrupted call), or the error it means.
    private func checkReceived(_ n: Int) throws(TransportError) -> Int {
        if n > 0 { receivedBytes.add(n, ordering: .relaxed); return n }
        if n == 0 { throw .closed(peer: peer) }
        let e = errno
        if e == EINTR || e == EAGAIN { return 0 }
        if closed || e == ECONNRESET { throw .closed(peer: peer) }
        throw .io(peer: peer, operation: "recv", reason: TransportError.errnoText(e))
    }
}

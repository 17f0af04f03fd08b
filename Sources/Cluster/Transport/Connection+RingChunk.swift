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
    /// Same bytes and checks as `receive` + `Message(frame:)`: the seal (or CRC32 on an
    /// unsealed connection), size limit, kind, step, sequence and count must all match,
    /// else `.protocolViolation`. A sealed chunk is opened in place before it is added.
    public func receiveRingChunk(step: Int, sequence: Int, count: Int, into destination: UnsafeMutablePointer<Float>?,
                                 mode: ChunkMode, scratch: UnsafeMutableRawBufferPointer, timeout: Double) throws(TransportError) {
        let deadline = Deadline(seconds: timeout)
        let what = "all-reduce chunk \(sequence) of step \(step)"
        let fieldCount = 20   // step, sequence, float count
        let prefix = Frame.headerSize + fieldCount
        let result: Result<Void, TransportError> = receiveState.withLock { decoder in
            Result { () throws(TransportError) in
                // Header and fields: read exactly what is missing, so no payload byte lands in the decoder.
                try fill(&decoder, to: prefix, deadline: deadline, what: what)
                guard var head = decoder.peek(prefix) else { return }
                var reader = WireReader(Array(head[0..<Frame.headerSize]))
                let length = Int(try wire { () throws(WireError) in try reader.u32("frame.length") })
                let kind = try wire { () throws(WireError) in try reader.u8("frame.kind") }
                let flags = try wire { () throws(WireError) in try reader.u8("frame.flags") }
                let reserved = try wire { () throws(WireError) in try reader.u16("frame.reserved") }
                let crc = try wire { () throws(WireError) in try reader.u32("frame.crc") }
                guard length <= decoder.maxFrameLength else {
                    throw .protocolViolation(peer: peer, .frameTooLarge(length: length, limit: decoder.maxFrameLength))
                }
                guard reserved == 0, flags & ~FrameSeal.sealedFlag == 0 else {
                    throw .protocolViolation(peer: peer, .badHeader("unknown flags or non-zero reserved bytes"))
                }
                let sealed = decoder.opener != nil
                guard (flags == FrameSeal.sealedFlag) == sealed else {
                    throw .protocolViolation(peer: peer, .sealMismatch(kind: kind, sealed: flags != 0))
                }
                // A sealed chunk's fields are enciphered: open them (the tag, checked at the end, vouches for them).
                var stream: ChaCha20Poly1305.Stream?
                var frameNumber: UInt64 = 0
                if var opener = decoder.opener {
                    guard crc == 0 else { throw .protocolViolation(peer: peer, .badHeader("a sealed frame needs a zero CRC field")) }
                    frameNumber = opener.counter
                    var s = head.withUnsafeBytes { opener.next(header: UnsafeRawBufferPointer(rebasing: $0[0..<Frame.headerSize])) }
                    decoder.opener = opener
                    head.withUnsafeMutableBytes { h in
                        let fields = h.baseAddress! + Frame.headerSize
                        s.open(from: fields, to: fields, count: fieldCount)
                    }
                    stream = s
                }
                var fieldReader = WireReader(Array(head[Frame.headerSize...]))
                let gotStep = try wire { () throws(WireError) in try fieldReader.int("ringChunk.step") }
                let gotSequence = try wire { () throws(WireError) in try fieldReader.int("ringChunk.sequence") }
                let gotCount = Int(try wire { () throws(WireError) in try fieldReader.u32("ringChunk.values.count") })
                let tagCount = sealed ? FrameSeal.overhead : 0
                guard kind == MessageKind.ringChunk.rawValue, gotStep == step, gotSequence == sequence, gotCount == count,
                      length == fieldCount + 4 * count + tagCount, 4 * count <= scratch.count else {
                    if sealed { throw .protocolViolation(peer: peer, .sealBroken(kind: kind, frame: frameNumber)) }
                    throw .protocolViolation(peer: peer, .unexpected(
                        message: "frame type \(kind) (step \(gotStep), piece \(gotSequence), \(gotCount) floats)",
                        expected: "ring chunk \(sequence) of step \(step) with \(count) floats"))
                }
                var fieldsCRC = CRC32()
                if !sealed { fieldsCRC.update(Array(head[Frame.headerSize...])) }
                decoder.skip(prefix)
                // Payload floats: whatever is buffered, then straight from the socket; a copied
                // chunk lands in place (no second pass), a summed one in `scratch`.
                let total = 4 * count
                // (`scratch` holds at least `total` bytes, checked above, so `target` is nil only when total is 0.)
                let target = (mode == .copy ? destination.map(UnsafeMutableRawPointer.init) : nil) ?? scratch.baseAddress
                if let target, total > 0 {
                    try receiveExactly(&decoder, into: target, count: total, deadline: deadline, what: what)
                    if stream != nil {
                        stream!.open(from: target, to: target, count: total)
                    } else {
                        fieldsCRC.update(UnsafeRawBufferPointer(start: target, count: total))
                    }
                }
                if var s = stream {
                    var received = [UInt8](repeating: 0, count: FrameSeal.overhead)
                    let got: Result<Void, TransportError> = received.withUnsafeMutableBytes { t in
                        Result { () throws(TransportError) in
                            try receiveExactly(&decoder, into: t.baseAddress!, count: FrameSeal.overhead, deadline: deadline, what: what)
                        }
                    }
                    try got.get()
                    let intact = received.withUnsafeBytes { FrameSeal.tagMatches(s.tag(), $0) }
                    guard intact else { throw .protocolViolation(peer: peer, .sealBroken(kind: kind, frame: frameNumber)) }
                } else {
                    guard fieldsCRC.value == crc else {
                        throw .protocolViolation(peer: peer, .checksumMismatch(kind: kind, expected: crc, actual: fieldsCRC.value))
                    }
                }
                guard mode == .add, total > 0, let destination, let target else { return }
                let src = target.assumingMemoryBound(to: Float.self)
                for i in 0..<count { destination[i] = destination[i] + src[i] }
            }
        }
        try result.get()
    }

    /// Reads from the socket until the decoder holds `count` bytes, reading no more than that.
    private func fill(_ decoder: inout FrameDecoder, to count: Int, deadline: Deadline, what: String) throws(TransportError) {
        while decoder.bufferedCount < count {
            try waitReadable(until: deadline, what: what)
            let missing = count - decoder.bufferedCount
            var tmp = [UInt8](repeating: 0, count: missing)
            let n = tmp.withUnsafeMutableBytes { recv(fd, $0.baseAddress, missing, 0) }
            decoder.append(tmp[0..<(try checkReceived(n))])
        }
    }

    /// Moves exactly `count` bytes into `target`: the decoder's buffered ones first, then from the socket.
    private func receiveExactly(_ decoder: inout FrameDecoder, into target: UnsafeMutableRawPointer, count: Int,
                                deadline: Deadline, what: String) throws(TransportError) {
        var filled = decoder.take(upTo: count, into: target)
        while filled < count {
            try waitReadable(until: deadline, what: what)
            filled += try checkReceived(recv(fd, target + filled, count - filled, 0))
        }
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

/// Cuts a byte stream into frames (swift-nio `ByteToMessageDecoder` style).
///
/// Feed bytes as they arrive with `append`; `next()` returns a frame only when
/// the whole frame is buffered and consumes nothing otherwise, so any split or
/// merge of reads yields the same frames. A header over the size limit, with
/// non-zero reserved bits, or a payload failing its CRC32 (or, once `opener` is
/// set, its seal) throws: the stream is then unusable and the connection must be closed.
public struct FrameDecoder: Sendable {
    /// Largest payload accepted (a peer that has not proved the token gets a small one).
    public var maxPayload: Int
    /// Set once the handshake is over: every frame must then be sealed under it.
    public var opener: FrameSeal?
    fileprivate var buffer: [UInt8] = []
    fileprivate var readIndex = 0

    public init(maxPayload: Int = Frame.defaultMaxPayload) { self.maxPayload = maxPayload }

    /// Bytes received but not yet returned as frames.
    public var bufferedCount: Int { buffer.count - readIndex }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    /// Appends `count` bytes from raw memory (the socket read path).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    /// Payload bytes still missing for the frame at the front (0 when a header is incomplete
    /// or a full frame is ready). Lets a reader size its next receive.
    public var bytesWanted: Int {
        guard bufferedCount >= Frame.headerSize else { return Frame.headerSize - bufferedCount }
        let length = Int(readU32(at: readIndex))
        return max(0, Frame.headerSize + min(length, maxFrameLength) - bufferedCount)
    }

    /// The largest length field accepted: the payload limit plus a sealed frame's tag.
    var maxFrameLength: Int { maxPayload + (opener == nil ? 0 : FrameSeal.overhead) }

    /// The next complete frame, or nil if more bytes are needed.
    public mutating func next() throws(WireError) -> Frame? {
        guard bufferedCount >= Frame.headerSize else { return nil }
        let length = Int(readU32(at: readIndex))
        guard length <= maxFrameLength else { throw .frameTooLarge(length: length, limit: maxFrameLength) }
        let kind = buffer[readIndex + 4]
        let flags = buffer[readIndex + 5]
        guard buffer[readIndex + 6] == 0, buffer[readIndex + 7] == 0, flags & ~FrameSeal.sealedFlag == 0 else {
            throw .badHeader("unknown flags or non-zero reserved bytes (frame type \(kind))")
        }
        guard (flags == FrameSeal.sealedFlag) == (opener != nil) else { throw .sealMismatch(kind: kind, sealed: flags != 0) }
        if opener != nil { return try nextSealed(length: length, kind: kind) }
        guard bufferedCount >= Frame.headerSize + length else { return nil }
        let expected = readU32(at: readIndex + 8)
        let start = readIndex + Frame.headerSize
        let payload = Array(buffer[start..<(start + length)])
        let actual = CRC32.checksum(payload)
        guard actual == expected else { throw .checksumMismatch(kind: kind, expected: expected, actual: actual) }
        readIndex = start + length
        return Frame(kind: kind, payload: payload)
    }

    /// The sealed frame at the front, opened, once it is wholly buffered.
    private mutating func nextSealed(length: Int, kind: UInt8) throws(WireError) -> Frame? {
        guard length >= FrameSeal.overhead, readU32(at: readIndex + 8) == 0 else {
            throw .badHeader("a sealed frame needs a zero CRC field and room for its \(FrameSeal.overhead)-byte tag (frame type \(kind))")
        }
        guard bufferedCount >= Frame.headerSize + length, var opener else { return nil }
        let frameNumber = opener.counter
        let start = readIndex + Frame.headerSize
        let bodyCount = length - FrameSeal.overhead
        var payload = [UInt8](repeating: 0, count: bodyCount)
        let intact = buffer.withUnsafeBytes { src -> Bool in
            let base = src.baseAddress!
            var stream = opener.next(header: UnsafeRawBufferPointer(start: base + readIndex, count: Frame.headerSize))
            payload.withUnsafeMutableBytes { dst in
                if let out = dst.baseAddress { stream.open(from: base + start, to: out, count: bodyCount) }
            }
            return FrameSeal.tagMatches(stream.tag(), UnsafeRawBufferPointer(start: base + start + bodyCount, count: FrameSeal.overhead))
        }
        guard intact else { throw .sealBroken(kind: kind, frame: frameNumber) }
        self.opener = opener
        readIndex = start + length
        return Frame(kind: kind, payload: payload)
    }

    private func readU32(at i: Int) -> UInt32 {
        UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 3]) << 24
    }

    fileprivate mutating func compactIfWorthIt() {
        if readIndex > 0 && (readIndex >= buffer.count || readIndex > 1 << 16) {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}

extension FrameDecoder {
    /// The first `count` buffered bytes without consuming them, or nil when fewer are buffered.
    func peek(_ count: Int) -> [UInt8]? {
        guard bufferedCount >= count else { return nil }
        return Array(buffer[readIndex..<(readIndex + count)])
    }

    /// Drops `count` buffered bytes (at most what is buffered).
    mutating func skip(_ count: Int) {
        readIndex += min(count, bufferedCount)
        compactIfWorthIt()
    }

    /// Consumes up to `count` buffered bytes into `destination`; returns how many.
    mutating func take(upTo count: Int, into destination: UnsafeMutableRawPointer) -> Int {
        let n = min(count, bufferedCount)
        guard n > 0 else { return 0 }
        buffer.withUnsafeBytes { src in
            if let base = src.baseAddress { destination.copyMemory(from: base + readIndex, byteCount: n) }
        }
        readIndex += n
        compactIfWorthIt()
        return n
    }
}

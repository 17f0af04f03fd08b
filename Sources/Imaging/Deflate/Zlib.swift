/// The zlib container (RFC 1950) around DEFLATE: a two-byte header and an Adler-32 trailer.
enum Zlib {
    /// Compresses `data` into a zlib stream (level 0...9).
    static func compress(_ data: [UInt8], level: Int) -> [UInt8] {
        let clampedLevel = max(0, min(9, level))
        // CMF: deflate with a 32 KiB window; FLG: compression level hint, no dictionary, FCHECK.
        let cmf: UInt8 = 0x78
        let levelBits: UInt8 = clampedLevel <= 1 ? 0 : clampedLevel <= 5 ? 1 : clampedLevel == 6 ? 2 : 3
        var flg: UInt8 = levelBits << 6
        flg += UInt8(31 - (UInt16(cmf) * 256 + UInt16(flg)) % 31) % 31
        var out: [UInt8] = [cmf, flg]
        out += Deflater.compress(data, level: clampedLevel)
        let adler = Adler32.checksum(data)
        out += [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
        return out
    }

    /// Decompresses a zlib stream, producing at most `outputLimit` bytes.
    ///
    /// Returns the bytes and whether the stream was complete (final block and a
    /// matching Adler-32 seen). Offsets in thrown errors count from the start of `input`.
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, outputLimit: Int, sizeHint: Int)
        throws(ZlibError) -> (bytes: [UInt8], complete: Bool)
    {
        guard input.count >= 2 else {
            throw ZlibError(kind: .truncated, offset: input.count, reason: "the 2-byte zlib header")
        }
        let cmf = input[0], flg = input[1]
        if cmf & 0x0F != 8 || cmf >> 4 > 7 {
            throw ZlibError(kind: .malformed, offset: 0, reason: "zlib header byte 0x\(String(cmf, radix: 16)) is not deflate with a window of at most 32 KiB")
        }
        if (UInt16(cmf) * 256 + UInt16(flg)) % 31 != 0 {
            throw ZlibError(kind: .malformed, offset: 0, reason: "zlib header check bits are wrong")
        }
        if flg & 0x20 != 0 {
            throw ZlibError(kind: .malformed, offset: 1, reason: "zlib stream asks for a preset dictionary")
        }
        let body = UnsafeBufferPointer(rebasing: input[2...])
        let result: InflateResult
        do {
            result = try Inflater.inflate(body, outputLimit: outputLimit, sizeHint: sizeHint)
        } catch {
            throw ZlibError(kind: error.kind == .truncated ? .truncated : .malformed,
                            offset: error.offset + 2, reason: error.reason)
        }
        guard result.complete else { return (result.bytes, false) }
        let trailer = 2 + result.consumed
        guard trailer + 4 <= input.count else {
            throw ZlibError(kind: .truncated, offset: input.count, reason: "the Adler-32 checksum")
        }
        let stored = UInt32(input[trailer]) << 24 | UInt32(input[trailer + 1]) << 16
            | UInt32(input[trailer + 2]) << 8 | UInt32(input[trailer + 3])
        var adler = Adler32()
        result.bytes.withUnsafeBufferPointer { adler.update($0) }
        if adler.value != stored {
            throw ZlibError(kind: .checksum(stored: stored, computed: adler.value), offset: trailer,
                            reason: "zlib Adler-32")
        }
        return (result.bytes, true)
    }
}

/// A zlib stream error; `offset` counts from the start of the zlib stream.
struct ZlibError: Error, Sendable {
    enum Kind: Sendable, Equatable {
        case truncated, malformed
        case checksum(stored: UInt32, computed: UInt32)
    }
    var kind: Kind
    var offset: Int
    var reason: String
}

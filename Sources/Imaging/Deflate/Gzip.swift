/// The gzip container (RFC 1952): a header, a DEFLATE stream, CRC-32 and length.
/// A `.tar.gz` may hold several members back to back; they decompress as one stream.
public enum Gzip {
    /// Decompresses every member of `input` in pieces of a few MiB handed to `sink`
    /// (which returns `false` to stop), checking each member's CRC-32 and length.
    /// Memory stays bounded whatever the decompressed size.
    /// - Throws: ``ArchiveFormatError`` naming the byte offset: `.truncated` for a stream
    ///   that ends early, `.corrupt` for bad bytes or a checksum mismatch, `.stopped`.
    public static func decompress(_ input: UnsafeBufferPointer<UInt8>,
                                  sink: @escaping (UnsafeBufferPointer<UInt8>) -> Bool) throws(ArchiveFormatError) {
        var position = 0
        var member = 0
        repeat {
            let body = try headerEnd(input, from: position)
            var crc = CRC32()
            var length: UInt32 = 0
            let consumed: Int
            do {
                consumed = try Inflater.inflate(UnsafeBufferPointer(rebasing: input[body...])) { piece in
                    crc.update(piece)
                    length &+= UInt32(truncatingIfNeeded: piece.count)
                    return sink(piece)
                }
            } catch {
                throw ArchiveFormatError(error, base: body, what: "the compressed data")
            }
            let trailer = body + consumed
            guard trailer + 8 <= input.count else {
                throw ArchiveFormatError(.truncated, offset: input.count, "the CRC-32 and length after the compressed data")
            }
            let storedCRC = littleEndian32(input, trailer), storedLength = littleEndian32(input, trailer + 4)
            if storedCRC != crc.value {
                throw ArchiveFormatError(.corrupt, offset: trailer,
                    "CRC-32 of member \(member + 1) is \(hex(crc.value)), the archive says \(hex(storedCRC))")
            }
            if storedLength != length {
                throw ArchiveFormatError(.corrupt, offset: trailer + 4,
                    "member \(member + 1) has \(length) bytes (mod 2^32), the archive says \(storedLength)")
            }
            position = trailer + 8
            member += 1
            // Some writers pad the file with zeros after the last member.
        } while position < input.count && input[position] != 0
    }

    /// Compresses `data` as one gzip member (DEFLATE level 6, no name, time 0).
    public static func compress(_ data: [UInt8], level: Int = 6) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]
        out += Deflater.compress(data, level: max(0, min(9, level)))
        let crc = CRC32.checksum(data), length = UInt32(truncatingIfNeeded: data.count)
        for value in [crc, length] { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
        return out
    }

    /// Parses a member header at `start`; returns the offset of its DEFLATE data.
    static func headerEnd(_ input: UnsafeBufferPointer<UInt8>, from start: Int) throws(ArchiveFormatError) -> Int {
        guard start + 10 <= input.count else {
            throw ArchiveFormatError(.truncated, offset: input.count, "the 10-byte gzip header")
        }
        guard input[start] == 0x1F, input[start + 1] == 0x8B else {
            throw ArchiveFormatError(.corrupt, offset: start, "not a gzip file (no 1f 8b signature)")
        }
        guard input[start + 2] == 8 else {
            throw ArchiveFormatError(.unsupported, offset: start + 2, "gzip compression method \(input[start + 2]) is not deflate")
        }
        let flags = input[start + 3]
        var p = start + 10
        func need(_ n: Int, _ what: String) throws(ArchiveFormatError) {
            if p + n > input.count { throw ArchiveFormatError(.truncated, offset: input.count, what) }
        }
        if flags & 0x04 != 0 {  // FEXTRA
            try need(2, "the gzip extra field length")
            let length = Int(input[p]) | Int(input[p + 1]) << 8
            p += 2
            try need(length, "the gzip extra field")
            p += length
        }
        for (bit, what) in [(UInt8(0x08), "the gzip file name"), (0x10, "the gzip comment")] where flags & bit != 0 {
            while true {
                try need(1, what)
                p += 1
                if input[p - 1] == 0 { break }
            }
        }
        if flags & 0x02 != 0 {  // FHCRC
            try need(2, "the gzip header CRC")
            p += 2
        }
        return p
    }

    static func littleEndian32(_ input: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(input[at]) | UInt32(input[at + 1]) << 8 | UInt32(input[at + 2]) << 16 | UInt32(input[at + 3]) << 24
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

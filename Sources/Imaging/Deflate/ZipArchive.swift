/// A zip archive (PKWARE APPNOTE) read from memory: the central directory lists the
/// entries; ``extract(_:)`` inflates one and checks its CRC-32 and size.
/// Stored and deflated entries are supported; Zip64, encryption and other methods are not.
public struct ZipArchive {
    /// One file or directory listed in the central directory.
    public struct Entry: Sendable, Equatable {
        /// The path inside the archive, `/`-separated; directories end with `/`.
        public var path: String
        public var method: Int
        public var crc32: UInt32
        public var compressedSize: Int
        public var size: Int
        /// Offset of the entry's local header.
        public var headerOffset: Int
        public var isDirectory: Bool { path.hasSuffix("/") }
    }

    public let entries: [Entry]
    private let bytes: UnsafeBufferPointer<UInt8>

    /// Reads the central directory of the archive in `bytes`, which must outlive this value.
    /// - Throws: ``ArchiveFormatError``: `.truncated` when the end-of-directory record is
    ///   missing (a download cut short), `.corrupt`, `.unsupported` for Zip64 or encryption.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) throws(ArchiveFormatError) {
        self.bytes = bytes
        let end = try Self.endRecord(bytes)
        let count = Self.u16(bytes, end + 10), size = Int(Self.u32(bytes, end + 12))
        let start = Int(Self.u32(bytes, end + 16))
        if count == 0xFFFF || start == 0xFFFF_FFFF {
            throw ArchiveFormatError(.unsupported, offset: end, "Zip64 archives (over 65535 entries or 4 GiB)")
        }
        guard start + size <= end else {
            throw ArchiveFormatError(.corrupt, offset: end, "the central directory (\(size) bytes at \(start)) overlaps its end record")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var p = start
        for index in 0..<count {
            guard p + 46 <= start + size, Self.u32(bytes, p) == 0x0201_4B50 else {
                throw ArchiveFormatError(.corrupt, offset: p, "central directory entry \(index + 1) of \(count) is not where the directory says")
            }
            let nameLength = Self.u16(bytes, p + 28), extra = Self.u16(bytes, p + 30), comment = Self.u16(bytes, p + 32)
            guard p + 46 + nameLength <= start + size else {
                throw ArchiveFormatError(.corrupt, offset: p, "central directory entry \(index + 1) runs past the directory")
            }
            let entry = Entry(
                path: String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self),
                method: Self.u16(bytes, p + 10), crc32: Self.u32(bytes, p + 16),
                compressedSize: Int(Self.u32(bytes, p + 20)), size: Int(Self.u32(bytes, p + 24)),
                headerOffset: Int(Self.u32(bytes, p + 42)))
            if Self.u16(bytes, p + 8) & 1 != 0 {
                throw ArchiveFormatError(.unsupported, offset: p, "\(entry.path) is encrypted")
            }
            if entry.compressedSize == 0xFFFF_FFFF || entry.size == 0xFFFF_FFFF || entry.headerOffset == 0xFFFF_FFFF {
                throw ArchiveFormatError(.unsupported, offset: p, "\(entry.path) is a Zip64 entry (4 GiB or more)")
            }
            entries.append(entry)
            p += 46 + nameLength + extra + comment
        }
        self.entries = entries
    }

    /// The entry's bytes, inflated and checked against its CRC-32 and size.
    public func extract(_ entry: Entry) throws(ArchiveFormatError) -> [UInt8] {
        let h = entry.headerOffset
        guard h + 30 <= bytes.count, Self.u32(bytes, h) == 0x0403_4B50 else {
            throw ArchiveFormatError(h + 30 > bytes.count ? .truncated : .corrupt, offset: h, "the local header of \(entry.path)")
        }
        let data = h + 30 + Self.u16(bytes, h + 26) + Self.u16(bytes, h + 28)
        guard data + entry.compressedSize <= bytes.count else {
            throw ArchiveFormatError(.truncated, offset: bytes.count, "the data of \(entry.path)")
        }
        let packed = UnsafeBufferPointer(rebasing: bytes[data..<(data + entry.compressedSize)])
        let out: [UInt8]
        switch entry.method {
        case 0: out = Array(packed)
        case 8:
            let result: InflateResult
            do throws(InflateError) {
                result = try Inflater.inflate(packed, outputLimit: entry.size + 1, sizeHint: entry.size)
            } catch {
                throw ArchiveFormatError(error, base: data, what: entry.path)
            }
            guard result.complete else {
                throw ArchiveFormatError(.corrupt, offset: data, "\(entry.path) inflates to more than its \(entry.size) bytes")
            }
            out = result.bytes
        default:
            throw ArchiveFormatError(.unsupported, offset: h, "\(entry.path) uses compression method \(entry.method) (only stored and deflate)")
        }
        if out.count != entry.size {
            throw ArchiveFormatError(.corrupt, offset: data, "\(entry.path) has \(out.count) bytes, the directory says \(entry.size)")
        }
        let crc = CRC32.checksum(out)
        if crc != entry.crc32 {
            throw ArchiveFormatError(.corrupt, offset: data,
                "CRC-32 of \(entry.path) is \(Gzip.hex(crc)), the directory says \(Gzip.hex(entry.crc32))")
        }
        return out
    }

    /// Writes a zip archive of `files` (path, bytes), each deflated at `level` (0: stored).
    public static func make(_ files: [(path: String, bytes: [UInt8])], level: Int = 6) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        func put16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func put32(_ v: UInt32, _ a: inout [UInt8]) { for s in [0, 8, 16, 24] { a.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        for file in files {
            let name = Array(file.path.utf8)
            let deflated = level > 0 && !file.bytes.isEmpty
            let packed = deflated ? Deflater.compress(file.bytes, level: level) : file.bytes
            let crc = CRC32.checksum(file.bytes)
            let offset = out.count
            // Local header then central entry: the same fields after their signatures and versions.
            var common: [UInt8] = []
            put16(0, &common)                      // flags
            put16(deflated ? 8 : 0, &common)       // method
            put16(0, &common); put16(0x21, &common) // time, date (1980-01-01)
            put32(crc, &common)
            put32(UInt32(packed.count), &common); put32(UInt32(file.bytes.count), &common)
            put16(name.count, &common); put16(0, &common)  // name length, extra length
            put32(0x0403_4B50, &out); put16(20, &out)
            out += common + name + packed
            put32(0x0201_4B50, &directory); put16(20, &directory); put16(20, &directory)
            directory += common
            put16(0, &directory); put16(0, &directory); put16(0, &directory); put32(0, &directory)  // comment, disk, attrs
            put32(UInt32(offset), &directory)
            directory += name
        }
        let start = out.count
        out += directory
        put32(0x0605_4B50, &out); put16(0, &out); put16(0, &out)
        put16(files.count, &out); put16(files.count, &out)
        put32(UInt32(directory.count), &out); put32(UInt32(start), &out); put16(0, &out)
        return out
    }

    /// Finds the end-of-central-directory record (it may be followed by a comment).
    static func endRecord(_ bytes: UnsafeBufferPointer<UInt8>) throws(ArchiveFormatError) -> Int {
        guard bytes.count >= 22 else {
            throw ArchiveFormatError(.truncated, offset: bytes.count, "the end-of-directory record (the file has \(bytes.count) bytes)")
        }
        var p = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while p >= lowest {
            if u32(bytes, p) == 0x0605_4B50 && p + 22 + u16(bytes, p + 20) == bytes.count { return p }
            p -= 1
        }
        let isZip = u32(bytes, 0) == 0x0403_4B50
        throw ArchiveFormatError(isZip ? .truncated : .corrupt, offset: bytes.count,
            isZip ? "the central directory at the end (the download stopped early?)" : "a zip signature (this is not a zip file)")
    }

    static func u16(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func u32(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}

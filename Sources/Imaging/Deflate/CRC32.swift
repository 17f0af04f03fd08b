/// CRC-32 (ISO 3309 / ITU-T V.42, polynomial 0xEDB88320 reflected), as used by PNG chunks and gzip.
public struct CRC32: Sendable {
    /// The running value; `value` of a fresh instance is the CRC of nothing (0).
    public private(set) var value: UInt32 = 0

    public init() {}

    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        var c = ~value
        CRC32.table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        value = ~c
    }

    /// Feeds bytes.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update($0) }) { return done }
        update(Array(bytes))
    }

    /// The CRC-32 of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }
}

/// Adler-32 (RFC 1950), the zlib stream checksum.
public struct Adler32: Sendable {
    public private(set) var value: UInt32 = 1

    public init() {}

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        var a = value & 0xFFFF, b = value >> 16
        var i = 0
        let n = bytes.count
        while i < n {
            // 5552 is the largest run before b can overflow 32 bits (RFC 1950 / zlib's NMAX).
            let end = min(n, i + 5552)
            while i < end {
                a &+= UInt32(bytes[i])
                b &+= a
                i += 1
            }
            a %= 65521
            b %= 65521
        }
        value = (b << 16) | a
    }

    /// The Adler-32 of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var adler = Adler32()
        bytes.withUnsafeBufferPointer { adler.update($0) }
        return adler.value
    }
}

/// Appends bit fields LSB-first, as DEFLATE packs them.
struct LSBBitWriter {
    private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count = 0

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Writes the low `n` bits of `value` (n <= 32).
    mutating func write(_ value: UInt32, _ n: Int) {
        buffer |= UInt64(value & UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(n)) - 1)) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
        }
    }

    /// Writes a Huffman code given MSB-first (it is sent starting with its most significant bit).
    mutating func writeCode(_ code: UInt32, _ length: Int) {
        var reversed: UInt32 = 0
        var c = code
        for _ in 0..<length {
            reversed = (reversed << 1) | (c & 1)
            c >>= 1
        }
        write(reversed, length)
    }

    /// Pads with zero bits to the next byte boundary.
    mutating func alignToByte() {
        if count > 0 { write(0, 8 - count) }
    }

    /// Appends whole bytes (the writer must be byte aligned).
    mutating func append<C: Collection>(contentsOf data: C) where C.Element == UInt8 {
        assert(count == 0)
        bytes.append(contentsOf: data)
    }

    /// The bytes written so far, the last partial byte padded with zeros.
    mutating func finish() -> [UInt8] {
        alignToByte()
        return bytes
    }
}

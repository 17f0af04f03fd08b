/// A JPEG Huffman decoding table (ITU T.81 Annex C / F.2.2.3), with a 9-bit lookahead table.
///
/// A class over fixed-size unsafe buffers: the entropy decoder reads these tables for
/// every coefficient, and plain arrays would cost bounds checks and reference counting there.
final class JPEGHuffmanTable {
    static let lookaheadBits = 9
    /// Indexed by the next 9 bits: `length << 8 | symbol`, or 0 when the code is longer than 9 bits.
    let lookahead: UnsafeMutablePointer<UInt16>
    /// Largest code of each length 1...16 (-1 when none); index 17 is a sentinel.
    let maxCode: UnsafeMutablePointer<Int32>
    /// Added to a code of length `l` to index `values`.
    let valueOffset: UnsafeMutablePointer<Int32>
    /// The symbols (256 slots; `valueCount` used).
    let values: UnsafeMutablePointer<UInt8>
    let valueCount: Int

    /// Builds the table from the 16 code counts and the symbols of a DHT segment.
    /// - Returns: `nil` when the counts over-subscribe the code space or there are more than 256 symbols.
    init?(counts: [Int], values symbols: [UInt8]) {
        guard counts.count == 16, symbols.count <= 256, counts.reduce(0, +) == symbols.count else { return nil }
        lookahead = .allocate(capacity: 1 << JPEGHuffmanTable.lookaheadBits)
        lookahead.initialize(repeating: 0, count: 1 << JPEGHuffmanTable.lookaheadBits)
        maxCode = .allocate(capacity: 18)
        maxCode.initialize(repeating: -1, count: 18)
        valueOffset = .allocate(capacity: 18)
        valueOffset.initialize(repeating: 0, count: 18)
        values = .allocate(capacity: 256)
        values.initialize(repeating: 0, count: 256)
        for (i, v) in symbols.enumerated() { values[i] = v }
        valueCount = symbols.count
        var code: Int32 = 0
        var index: Int32 = 0
        for length in 1...16 {
            let count = Int32(counts[length - 1])
            if count > 0 {
                valueOffset[length] = index - code
                code += count
                index += count
                // A code of `length` bits cannot reach 2^length (T.81 forbids over-subscription).
                if code > (1 << Int32(length)) { return nil }
                maxCode[length] = code - 1
                if length <= JPEGHuffmanTable.lookaheadBits {
                    for c in (code - count)..<code {
                        let symbol = symbols[Int(c + valueOffset[length])]
                        let shift = JPEGHuffmanTable.lookaheadBits - length
                        let entry = UInt16(length << 8) | UInt16(symbol)
                        for fill in 0..<(1 << shift) { lookahead[(Int(c) << shift) | fill] = entry }
                    }
                }
            }
            code <<= 1
        }
        maxCode[17] = Int32.max
    }

    deinit {
        lookahead.deallocate()
        maxCode.deallocate()
        valueOffset.deallocate()
        values.deallocate()
    }

    /// The symbols in code order.
    var symbolList: [UInt8] { Array(UnsafeBufferPointer(start: values, count: valueCount)) }
}

/// The tables T.81 Annex K.3 suggests; used when a file (typically a Motion-JPEG
/// frame) has no DHT segment, as libjpeg does.
enum JPEGStandardTables {
    static let dcLuminanceCounts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    static let dcLuminanceValues: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    static let dcChrominanceCounts = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    static let dcChrominanceValues: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    static let acLuminanceCounts = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]
    static let acLuminanceValues: [UInt8] = [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
        0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
        0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
        0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
        0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
        0xF9, 0xFA,
    ]
    static let acChrominanceCounts = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77]
    static let acChrominanceValues: [UInt8] = [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
        0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
        0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
        0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
        0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
        0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
        0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
        0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
        0xF9, 0xFA,
    ]
}

/// Zigzag order: `natural[k]` is the row-major index of the k-th coefficient in
/// zigzag order; 16 extra entries point at 63 so a corrupt run length cannot
/// index outside a block (as libjpeg's `jpeg_natural_order` does).
enum JPEGZigzag {
    static let natural: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ] + [Int](repeating: 63, count: 16)
}

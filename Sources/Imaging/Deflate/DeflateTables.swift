/// Constant tables of the DEFLATE format (RFC 1951, section 3.2.5).
enum DeflateTables {
    /// Base match length of length symbols 257...285.
    static let lengthBase: [UInt16] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
        35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    /// Extra bits of length symbols 257...285.
    static let lengthExtra: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    /// Base distance of distance symbols 0...29.
    static let distanceBase: [UInt16] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
        257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ]
    /// Extra bits of distance symbols 0...29.
    static let distanceExtra: [UInt8] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
        7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]
    /// Order in which code-length code lengths are stored in a dynamic block header.
    static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Code lengths of the fixed literal/length code (288 symbols).
    static let fixedLiteralLengths: [UInt8] =
        [UInt8](repeating: 8, count: 144) + [UInt8](repeating: 9, count: 112)
        + [UInt8](repeating: 7, count: 24) + [UInt8](repeating: 8, count: 8)
    /// Code lengths of the fixed distance code (30 symbols plus the two unused ones).
    static let fixedDistanceLengths: [UInt8] = [UInt8](repeating: 5, count: 32)

    /// Length symbol (257...285) for a match length 3...258.
    static let lengthSymbol: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 259)
        for length in 3...258 {
            var code = 0
            while code + 1 < lengthBase.count && Int(lengthBase[code + 1]) <= length { code += 1 }
            table[length] = UInt16(257 + code)
        }
        return table
    }()

    /// Distance symbol (0...29) for a distance 1...32768.
    static func distanceSymbol(_ distance: Int) -> Int {
        if distance <= 4 { return distance - 1 }
        // Two symbols per power of two above 4.
        let d = distance - 1
        let bits = Int.bitWidth - d.leadingZeroBitCount  // highest set bit + 1
        return 2 * (bits - 1) + ((d >> (bits - 2)) & 1)
    }
}

/// Reads entropy-coded JPEG data MSB-first, removing 0xFF00 byte stuffing.
///
/// At a marker, or at the end of the data, zero bits are supplied (as libjpeg
/// does) and counted in `paddingBits`; `consumedPadding` tells whether
/// decoding used any of them. Reading never goes past `data.count`.
struct JPEGBitReader {
    let data: UnsafeBufferPointer<UInt8>
    /// Next byte to load.
    private(set) var position: Int
    /// Unconsumed bits, right-aligned.
    private var buffer: UInt64 = 0
    private(set) var count = 0
    /// Zero bits appended after a marker or the end of data (they sit at the bottom of `buffer`).
    private(set) var paddingBits = 0
    /// Offset of the marker that stopped loading, if any.
    private(set) var markerOffset: Int? = nil
    /// Whether loading ran into the end of the data (rather than a marker).
    private(set) var hitEnd = false

    init(data: UnsafeBufferPointer<UInt8>, position: Int) {
        self.data = data
        self.position = position
    }

    /// Whether decoding consumed bits that are not in the file.
    var consumedPadding: Bool { count < paddingBits }

    /// Offset of the byte holding the next unconsumed bit (for error messages).
    var offset: Int { max(0, min(data.count, position - (count - paddingBits + 7) / 8)) }

    /// Tops the buffer up to at least 57 bits (zero padding past a marker or the end).
    @inline(__always) mutating func fill() {
        while count <= 56 {
            if markerOffset != nil || hitEnd {
                buffer <<= 8
                count += 8
                paddingBits += 8
                continue
            }
            if position >= data.count {
                hitEnd = true
                continue
            }
            let byte = data[position]
            if byte != 0xFF {
                buffer = buffer << 8 | UInt64(byte)
                count += 8
                position += 1
                continue
            }
            // 0xFF: skip fill bytes; 0xFF 0x00 is a stuffed data byte, anything else a marker.
            var next = position + 1
            while next < data.count && data[next] == 0xFF { next += 1 }
            if next >= data.count {
                hitEnd = true
                continue
            }
            if data[next] == 0 {
                buffer = buffer << 8 | 0xFF
                count += 8
                position = next + 1
            } else {
                markerOffset = next - 1
            }
        }
    }

    @inline(__always) mutating func peek(_ n: Int) -> Int {
        if count < n { fill() }
        return Int(truncatingIfNeeded: buffer >> UInt64(count - n)) & ((1 << n) - 1)
    }

    @inline(__always) mutating func skip(_ n: Int) { count -= n }

    @inline(__always) mutating func bits(_ n: Int) -> Int {
        if n == 0 { return 0 }
        let v = peek(n)
        count -= n
        return v
    }

    @inline(__always) mutating func bit() -> Int { bits(1) }

    /// `bits(n)` sign-extended as T.81 F.2.2.1 EXTEND does.
    @inline(__always) mutating func receiveExtend(_ n: Int) -> Int {
        if n == 0 { return 0 }
        let v = bits(n)
        return v < (1 << (n - 1)) ? v - (1 << n) + 1 : v
    }

    /// Decodes one Huffman symbol; `nil` for a code no table entry matches.
    @inline(__always) mutating func decode(_ table: JPEGHuffmanTable) -> Int? {
        if count < 16 { fill() }
        let look = Int(truncatingIfNeeded: buffer >> UInt64(count - JPEGHuffmanTable.lookaheadBits))
            & ((1 << JPEGHuffmanTable.lookaheadBits) - 1)
        let entry = Int(table.lookahead[look])
        if entry != 0 {
            count -= entry >> 8
            return entry & 0xFF
        }
        var length = JPEGHuffmanTable.lookaheadBits + 1
        while length <= 16 {
            let code = Int32(truncatingIfNeeded: buffer >> UInt64(count - length)) & ((1 << Int32(length)) - 1)
            if code <= table.maxCode[length] {
                count -= length
                let index = Int(code + table.valueOffset[length])
                return index >= 0 && index < table.valueCount ? Int(table.values[index]) : nil
            }
            length += 1
        }
        return nil
    }

    /// Drops buffered bits and moves past the next marker, which must be a
    /// restart marker (RST0-RST7). Returns `false` when another marker or the end comes first.
    mutating func consumeRestartMarker() -> Bool {
        var p = markerOffset ?? position
        // Skip whatever real bytes were not loaded yet (normally none) up to the marker.
        while p + 1 < data.count && !(data[p] == 0xFF && data[p + 1] != 0 && data[p + 1] != 0xFF) { p += 1 }
        guard p + 1 < data.count, (0xD0...0xD7).contains(data[p + 1]) else { return false }
        position = p + 2
        buffer = 0
        count = 0
        paddingBits = 0
        markerOffset = nil
        hitEnd = false
        return true
    }

    /// Offset of the first marker at or after the reader's position that ends the scan (not RSTn).
    func endOfScan() -> Int {
        var p = markerOffset ?? position
        while p + 1 < data.count {
            if data[p] == 0xFF {
                let m = data[p + 1]
                if m != 0 && m != 0xFF && !(0xD0...0xD7).contains(m) { return p }
                p += m == 0xFF ? 1 : 2
            } else {
                p += 1
            }
        }
        return data.count
    }
}

/// Why a DEFLATE stream could not be inflated.
struct InflateError: Error, Sendable {
    /// `stopped`: the streaming sink asked to stop (it keeps its own reason).
    enum Kind: Sendable { case truncated, malformed, stopped }
    var kind: Kind
    /// Byte offset in the compressed stream given to the inflater.
    var offset: Int
    var reason: String
}

/// The result of inflating: the bytes and whether the final block was reached.
struct InflateResult {
    var bytes: [UInt8]
    /// Compressed bytes consumed (up to the end of the final block when `complete`).
    var consumed: Int
    /// `false` when inflating stopped at `outputLimit` before the final block ended.
    var complete: Bool
}

/// A canonical Huffman decoding table for DEFLATE codes (read LSB-first).
struct InflateHuffman {
    static let fastBits = 9
    /// Indexed by the next `fastBits` input bits: `symbol | length << 12`, 0 when the code is longer.
    var fast: [UInt16]
    /// Number of codes of each length 0...15.
    var counts: [Int]
    /// Symbols ordered by code.
    var symbols: [UInt16]

    /// Builds the table from code lengths (0...15 each), rejecting over-subscribed codes.
    init(lengths: [UInt8]) throws(InflateError) {
        var counts = [Int](repeating: 0, count: 16)
        for l in lengths where l != 0 { counts[Int(l)] += 1 }
        var left = 1
        for len in 1...15 {
            left <<= 1
            left -= counts[len]
            if left < 0 {
                throw InflateError(kind: .malformed, offset: 0, reason: "over-subscribed Huffman code lengths")
            }
        }
        self.init(validLengths: lengths)
    }

    /// Builds the table from lengths already known to form a valid (possibly incomplete) code.
    init(validLengths lengths: [UInt8]) {
        counts = [Int](repeating: 0, count: 16)
        for l in lengths where l != 0 { counts[Int(l)] += 1 }
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
        symbols = [UInt16](repeating: 0, count: lengths.count)
        for (symbol, l) in lengths.enumerated() where l != 0 {
            symbols[offsets[Int(l)]] = UInt16(symbol)
            offsets[Int(l)] += 1
        }
        // Fast table: canonical codes, bit-reversed because DEFLATE sends them MSB-first into an LSB-first stream.
        fast = [UInt16](repeating: 0, count: 1 << InflateHuffman.fastBits)
        var code = 0
        var index = 0
        for len in 1...15 {
            for _ in 0..<counts[len] {
                if len <= InflateHuffman.fastBits {
                    var reversed = 0
                    for b in 0..<len where (code >> b) & 1 != 0 { reversed |= 1 << (len - 1 - b) }
                    let entry = symbols[index] | UInt16(len << 12)
                    var fill = reversed
                    while fill < (1 << InflateHuffman.fastBits) {
                        fast[fill] = entry
                        fill += 1 << len
                    }
                }
                code += 1
                index += 1
            }
            code <<= 1
        }
    }
}

/// Inflates raw DEFLATE streams (RFC 1951).
struct Inflater {
    private let input: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0
    private var output: [UInt8]
    private let outputLimit: Int
    /// Streaming: receives the output in pieces; `output` then keeps only the last window.
    private let sink: ((UnsafeBufferPointer<UInt8>) -> Bool)?
    /// Streaming: `output` is handed to the sink once it holds this many bytes.
    private let flushAt: Int

    private init(input: UnsafeBufferPointer<UInt8>, outputLimit: Int, sizeHint: Int,
                 sink: ((UnsafeBufferPointer<UInt8>) -> Bool)? = nil) {
        self.input = input
        self.outputLimit = outputLimit
        self.sink = sink
        flushAt = sink == nil ? Int.max : Inflater.streamChunk + Deflater.windowSize
        output = []
        output.reserveCapacity(sink == nil ? max(0, min(outputLimit, sizeHint)) : flushAt + 65536 + 258)
    }

    /// Bytes handed to a streaming sink at a time (plus the window kept back).
    static let streamChunk = 1 << 22

    /// Inflates `input` as a stream: `sink` receives the output in pieces of a few MiB
    /// (the last one possibly shorter) and returns `false` to stop, which throws `.stopped`.
    /// Memory stays bounded whatever the output size. Returns the compressed bytes consumed.
    static func inflate(_ input: UnsafeBufferPointer<UInt8>,
                        sink: @escaping (UnsafeBufferPointer<UInt8>) -> Bool) throws(InflateError) -> Int {
        var inflater = Inflater(input: input, outputLimit: Int.max, sizeHint: 0, sink: sink)
        _ = try inflater.run()
        try inflater.flush(keepingWindow: false)
        return inflater.position - inflater.bitCount / 8
    }

    /// Streaming: hands all but the last window (or everything) of `output` to the sink.
    private mutating func flush(keepingWindow: Bool) throws(InflateError) {
        guard let sink else { return }
        let keep = keepingWindow ? min(output.count, Deflater.windowSize) : 0
        let count = output.count - keep
        guard count > 0 else { return }
        let more = output.withUnsafeBufferPointer { sink(UnsafeBufferPointer(rebasing: $0[0..<count])) }
        if !more { throw InflateError(kind: .stopped, offset: offset, reason: "stopped by the reader") }
        output.removeFirst(count)
    }

    /// Inflates `input`, stopping early (with `complete == false`) once `outputLimit` bytes were produced.
    static func inflate(_ input: UnsafeBufferPointer<UInt8>, outputLimit: Int, sizeHint: Int) throws(InflateError)
        -> InflateResult
    {
        var inflater = Inflater(input: input, outputLimit: outputLimit, sizeHint: sizeHint)
        let complete = try inflater.run()
        // Unused whole bytes left in the bit buffer were not consumed.
        let consumed = inflater.position - inflater.bitCount / 8
        return InflateResult(bytes: inflater.output, consumed: consumed, complete: complete)
    }

    /// Byte offset of the next unread bit (for error messages).
    private var offset: Int { position - bitCount / 8 }

    @inline(__always)
    private mutating func refill() {
        while bitCount <= 56 && position < input.count {
            bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
    }

    private mutating func bits(_ n: Int, _ what: @autoclosure () -> String) throws(InflateError) -> Int {
        if bitCount < n {
            refill()
            if bitCount < n {
                throw InflateError(kind: .truncated, offset: input.count, reason: what())
            }
        }
        let value = Int(bitBuffer & ((1 << UInt64(n)) - 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return value
    }

    @inline(__always)
    private mutating func decode(_ table: InflateHuffman, _ what: @autoclosure () -> String) throws(InflateError) -> Int {
        if bitCount < 15 { refill() }
        let entry = Int(table.fast[Int(bitBuffer & UInt64((1 << InflateHuffman.fastBits) - 1))])
        let length = entry >> 12
        if entry != 0 && length <= bitCount {
            bitBuffer >>= UInt64(length)
            bitCount -= length
            return entry & 0xFFF
        }
        return try decodeSlowly(table, what())
    }

    /// Codes longer than the fast table's bits, or near the end of the input: one bit at a time.
    @inline(never)
    private mutating func decodeSlowly(_ table: InflateHuffman, _ what: String) throws(InflateError) -> Int {
        let start = offset
        var code = 0, first = 0, index = 0
        for len in 1...15 {
            if bitCount == 0 {
                throw InflateError(kind: .truncated, offset: input.count, reason: what)
            }
            code |= Int(bitBuffer & 1)
            bitBuffer >>= 1
            bitCount -= 1
            let count = table.counts[len]
            if code - first < count { return Int(table.symbols[index + code - first]) }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw InflateError(kind: .malformed, offset: start, reason: "invalid Huffman code in \(what)")
    }

    private mutating func run() throws(InflateError) -> Bool {
        while true {
            let blockStart = offset
            let final = try bits(1, "a block header")
            let type = try bits(2, "a block header")
            let finished: Bool
            switch type {
            case 0: finished = try storedBlock()
            case 1: finished = try codes(Inflater.fixedLiteral, Inflater.fixedDistance)
            case 2:
                let (literal, distance) = try dynamicTables()
                finished = try codes(literal, distance)
            default:
                throw InflateError(kind: .malformed, offset: blockStart, reason: "invalid block type 3")
            }
            // Stopped at the output limit inside a block: the stream goes on beyond what the caller wants.
            if !finished { return false }
            if output.count >= flushAt { try flush(keepingWindow: true) }
            if final == 1 { return true }
            if output.count >= outputLimit { return false }
        }
    }

    private static let fixedLiteral = InflateHuffman(validLengths: DeflateTables.fixedLiteralLengths)
    private static let fixedDistance = InflateHuffman(validLengths: DeflateTables.fixedDistanceLengths)

    /// Copies a stored block; `false` when it holds more than the output limit allows.
    private mutating func storedBlock() throws(InflateError) -> Bool {
        // Discard the rest of the current byte, then LEN and NLEN.
        let drop = bitCount % 8
        bitBuffer >>= UInt64(drop)
        bitCount -= drop
        let headerOffset = offset
        let length = try bits(16, "a stored block length")
        let complement = try bits(16, "a stored block length")
        if length != (~complement & 0xFFFF) {
            throw InflateError(kind: .malformed, offset: headerOffset,
                               reason: "stored block length \(length) does not match its complement")
        }
        var remaining = length
        var complete = true
        // Bytes still in the bit buffer first.
        while remaining > 0 && bitCount >= 8 {
            if output.count < outputLimit { output.append(UInt8(truncatingIfNeeded: bitBuffer)) } else { complete = false }
            bitBuffer >>= 8
            bitCount -= 8
            remaining -= 1
        }
        if remaining > input.count - position {
            throw InflateError(kind: .truncated, offset: input.count,
                               reason: "\(remaining) more bytes of a stored block")
        }
        let take = min(remaining, max(0, outputLimit - output.count))
        output.append(contentsOf: input[position..<(position + take)])
        position += remaining
        return complete && take == remaining
    }

    private mutating func dynamicTables() throws(InflateError) -> (InflateHuffman, InflateHuffman) {
        let headerOffset = offset
        let literalCount = try bits(5, "a dynamic block header") + 257
        let distanceCount = try bits(5, "a dynamic block header") + 1
        let codeLengthCount = try bits(4, "a dynamic block header") + 4
        if literalCount > 286 || distanceCount > 30 {
            throw InflateError(kind: .malformed, offset: headerOffset,
                               reason: "dynamic block declares \(literalCount) literal and \(distanceCount) distance codes")
        }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<codeLengthCount {
            codeLengthLengths[DeflateTables.codeLengthOrder[i]] = UInt8(try bits(3, "code length code lengths"))
        }
        let codeLengthTable: InflateHuffman
        do {
            codeLengthTable = try InflateHuffman(lengths: codeLengthLengths)
        } catch {
            throw InflateError(kind: .malformed, offset: headerOffset, reason: "code length code: \(error.reason)")
        }
        var lengths = [UInt8](repeating: 0, count: literalCount + distanceCount)
        var i = 0
        while i < lengths.count {
            let symbolOffset = offset
            let symbol = try decode(codeLengthTable, "code lengths")
            var repeatValue: UInt8 = 0
            var repeatCount = 0
            switch symbol {
            case 0...15:
                lengths[i] = UInt8(symbol)
                i += 1
                continue
            case 16:
                if i == 0 {
                    throw InflateError(kind: .malformed, offset: symbolOffset,
                                       reason: "code length repeat with no previous length")
                }
                repeatValue = lengths[i - 1]
                repeatCount = 3 + (try bits(2, "code lengths"))
            case 17: repeatCount = 3 + (try bits(3, "code lengths"))
            default: repeatCount = 11 + (try bits(7, "code lengths"))
            }
            if i + repeatCount > lengths.count {
                throw InflateError(kind: .malformed, offset: symbolOffset, reason: "code lengths overflow the table")
            }
            for _ in 0..<repeatCount {
                lengths[i] = repeatValue
                i += 1
            }
        }
        if lengths[256] == 0 {
            throw InflateError(kind: .malformed, offset: headerOffset, reason: "no code for the end-of-block symbol")
        }
        do {
            let literal = try InflateHuffman(lengths: Array(lengths[0..<literalCount]))
            let distance = try InflateHuffman(lengths: Array(lengths[literalCount...]))
            return (literal, distance)
        } catch {
            throw InflateError(kind: .malformed, offset: headerOffset, reason: error.reason)
        }
    }

    /// Decodes a Huffman-coded block; `false` when the output limit was reached before its end.
    private mutating func codes(_ literal: InflateHuffman, _ distance: InflateHuffman) throws(InflateError) -> Bool {
        while true {
            let symbolOffset = offset
            let symbol = try decode(literal, "compressed data")
            if symbol == 256 { return true }
            if output.count >= outputLimit { return false }
            if output.count >= flushAt { try flush(keepingWindow: true) }
            if symbol < 256 {
                output.append(UInt8(symbol))
                continue
            }
            let lengthIndex = symbol - 257
            if lengthIndex >= 29 {
                throw InflateError(kind: .malformed, offset: symbolOffset, reason: "invalid length symbol \(symbol)")
            }
            let length = Int(DeflateTables.lengthBase[lengthIndex])
                + (try bits(Int(DeflateTables.lengthExtra[lengthIndex]), "a match length"))
            let distanceSymbol = try decode(distance, "compressed data")
            if distanceSymbol >= 30 {
                throw InflateError(kind: .malformed, offset: symbolOffset,
                                   reason: "invalid distance symbol \(distanceSymbol)")
            }
            let dist = Int(DeflateTables.distanceBase[distanceSymbol])
                + (try bits(Int(DeflateTables.distanceExtra[distanceSymbol]), "a match distance"))
            if dist > output.count {
                throw InflateError(kind: .malformed, offset: symbolOffset,
                                   reason: "match distance \(dist) reaches before the start of the data")
            }
            let n = min(length, outputLimit - output.count)
            copyMatch(distance: dist, length: n)
        }
    }

    private mutating func copyMatch(distance: Int, length: Int) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: length))
        output.withUnsafeMutableBufferPointer { out in
            var src = start - distance
            for dst in start..<(start + length) {
                out[dst] = out[src]
                src += 1
            }
        }
    }
}

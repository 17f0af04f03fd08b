/// DEFLATE compressor (RFC 1951).
///
/// LZ77 over a 32 KiB window with hash chains (greedy at levels 1-3, lazy
/// evaluation above, chain limits as zlib's levels), emitted in blocks of at
/// most 16 Ki symbols; each block is written stored, with the fixed code or with
/// a dynamic code, whichever is smallest. Level 0 writes stored blocks only.
enum Deflater {
    private struct Config {
        var goodLength: Int, maxLazy: Int, niceLength: Int, maxChain: Int, lazy: Bool
    }

    private static func config(level: Int) -> Config {
        switch level {
        case ...1: return Config(goodLength: 4, maxLazy: 4, niceLength: 8, maxChain: 4, lazy: false)
        case 2: return Config(goodLength: 4, maxLazy: 5, niceLength: 16, maxChain: 8, lazy: false)
        case 3: return Config(goodLength: 4, maxLazy: 6, niceLength: 32, maxChain: 32, lazy: false)
        case 4: return Config(goodLength: 4, maxLazy: 4, niceLength: 16, maxChain: 16, lazy: true)
        case 5: return Config(goodLength: 8, maxLazy: 16, niceLength: 32, maxChain: 32, lazy: true)
        case 6: return Config(goodLength: 8, maxLazy: 16, niceLength: 128, maxChain: 128, lazy: true)
        case 7: return Config(goodLength: 8, maxLazy: 32, niceLength: 128, maxChain: 256, lazy: true)
        case 8: return Config(goodLength: 32, maxLazy: 128, niceLength: 258, maxChain: 1024, lazy: true)
        default: return Config(goodLength: 32, maxLazy: 258, niceLength: 258, maxChain: 4096, lazy: true)
        }
    }

    static let windowSize = 32768
    private static let hashBits = 15
    private static let blockSymbols = 16384

    /// Compresses `data` into a raw DEFLATE stream at `level` 0...9.
    static func compress(_ data: [UInt8], level: Int) -> [UInt8] {
        var writer = LSBBitWriter(capacity: data.count / 2 + 64)
        if level <= 0 || data.isEmpty {
            writeStored(data, from: 0, to: data.count, final: true, into: &writer)
            return writer.finish()
        }
        data.withUnsafeBufferPointer { buf in
            var matcher = Matcher(data: buf, config: config(level: level))
            matcher.run(&writer)
        }
        return writer.finish()
    }

    /// One block's symbols: literals (`distance == 0`) and matches.
    fileprivate struct Symbols {
        var litLen: [UInt16] = []
        var distance: [UInt16] = []
        init() {
            litLen.reserveCapacity(Deflater.blockSymbols)
            distance.reserveCapacity(Deflater.blockSymbols)
        }
    }

    private struct Matcher {
        let data: UnsafeBufferPointer<UInt8>
        let config: Config
        var head: [Int32]
        var prev: [Int32]
        var symbols = Symbols()
        var blockStart = 0

        init(data: UnsafeBufferPointer<UInt8>, config: Config) {
            self.data = data
            self.config = config
            head = [Int32](repeating: -1, count: 1 << Deflater.hashBits)
            prev = [Int32](repeating: -1, count: Deflater.windowSize)
        }

        @inline(__always) func hash(at i: Int) -> Int {
            let h = (Int(data[i]) << 10) ^ (Int(data[i + 1]) << 5) ^ Int(data[i + 2])
            return (h &* 0x9E37) >> 3 & ((1 << Deflater.hashBits) - 1)
        }

        mutating func insert(_ i: Int) {
            guard i + 2 < data.count else { return }
            let h = hash(at: i)
            prev[i & (Deflater.windowSize - 1)] = head[h]
            head[h] = Int32(i)
        }

        /// Longest match for position `i` (already inserted or not), at least `better` long to count.
        func longestMatch(_ i: Int, better: Int) -> (length: Int, distance: Int) {
            let n = data.count
            guard i + 2 < n else { return (0, 0) }
            let maxLength = min(258, n - i)
            var bestLength = max(2, better)
            if bestLength >= maxLength { return (0, 0) }
            var bestDistance = 0
            var chain = config.maxChain
            if better >= config.goodLength { chain >>= 2 }
            var candidate = Int(head[hash(at: i)])
            if candidate == i { candidate = Int(prev[i & (Deflater.windowSize - 1)]) }
            guard let base = data.baseAddress else { return (0, 0) }
            while candidate >= 0 && chain > 0 {
                let distance = i - candidate
                if distance <= 0 || distance > Deflater.windowSize - 262 { break }
                // Cheap rejection: a longer match must agree at the current best length.
                if base[candidate + bestLength] == base[i + bestLength] {
                    var length = 0
                    while length < maxLength && base[candidate + length] == base[i + length] { length += 1 }
                    if length > bestLength {
                        bestLength = length
                        bestDistance = distance
                        if length >= config.niceLength || length >= maxLength { break }
                    }
                }
                let next = Int(prev[candidate & (Deflater.windowSize - 1)])
                if next >= candidate { break }  // stale entry from an older window position
                candidate = next
                chain -= 1
            }
            return bestDistance == 0 ? (0, 0) : (bestLength, bestDistance)
        }

        mutating func literal(_ i: Int, _ writer: inout LSBBitWriter) {
            symbols.litLen.append(UInt16(data[i]))
            symbols.distance.append(0)
            flushIfFull(upTo: i + 1, &writer)
        }

        mutating func match(at i: Int, length: Int, distance: Int, _ writer: inout LSBBitWriter) {
            symbols.litLen.append(UInt16(length))
            symbols.distance.append(UInt16(distance))
            flushIfFull(upTo: i + length, &writer)
        }

        mutating func flushIfFull(upTo end: Int, _ writer: inout LSBBitWriter) {
            if symbols.litLen.count >= Deflater.blockSymbols {
                Deflater.writeBlock(symbols, data: data, from: blockStart, to: end, final: false, into: &writer)
                symbols = Symbols()
                blockStart = end
            }
        }

        mutating func run(_ writer: inout LSBBitWriter) {
            let n = data.count
            var i = 0
            var pending: (length: Int, distance: Int)? = nil
            while i < n {
                let found = longestMatch(i, better: pending?.length ?? 0)
                insert(i)
                if let p = pending {
                    if found.length > p.length {
                        literal(i - 1, &writer)
                        pending = found
                        i += 1
                    } else {
                        let start = i - 1
                        match(at: start, length: p.length, distance: p.distance, &writer)
                        for j in (i + 1)..<(start + p.length) { insert(j) }
                        i = start + p.length
                        pending = nil
                    }
                    continue
                }
                if found.length >= 3 {
                    if !config.lazy || found.length >= config.maxLazy {
                        match(at: i, length: found.length, distance: found.distance, &writer)
                        for j in (i + 1)..<(i + found.length) { insert(j) }
                        i += found.length
                    } else {
                        pending = found
                        i += 1
                    }
                } else {
                    literal(i, &writer)
                    i += 1
                }
            }
            if let p = pending { match(at: n - 1, length: p.length, distance: p.distance, &writer) }
            Deflater.writeBlock(symbols, data: data, from: blockStart, to: n, final: true, into: &writer)
        }
    }

    private static func writeStored<C: Collection>(_ data: C, from: Int, to: Int, final: Bool,
                                                   into writer: inout LSBBitWriter)
        where C.Element == UInt8, C.Index == Int
    {
        var start = from
        repeat {
            let length = min(65535, to - start)
            let last = final && start + length == to
            writer.write(last ? 1 : 0, 1)
            writer.write(0, 2)
            writer.alignToByte()
            writer.write(UInt32(length), 16)
            writer.write(UInt32(~length & 0xFFFF), 16)
            writer.append(contentsOf: data[start..<(start + length)])
            start += length
        } while start < to
    }

    fileprivate static func writeBlock(_ symbols: Symbols, data: UnsafeBufferPointer<UInt8>, from: Int, to: Int,
                                       final: Bool, into writer: inout LSBBitWriter)
    {
        var litFreq = [Int](repeating: 0, count: 286)
        var distFreq = [Int](repeating: 0, count: 30)
        var extraBits = 0
        for k in 0..<symbols.litLen.count {
            let d = Int(symbols.distance[k])
            if d == 0 {
                litFreq[Int(symbols.litLen[k])] += 1
            } else {
                let ls = Int(DeflateTables.lengthSymbol[Int(symbols.litLen[k])])
                litFreq[ls] += 1
                extraBits += Int(DeflateTables.lengthExtra[ls - 257])
                let ds = DeflateTables.distanceSymbol(d)
                distFreq[ds] += 1
                extraBits += Int(DeflateTables.distanceExtra[ds])
            }
        }
        litFreq[256] = 1

        let litLengths = HuffmanCodeLengths.compute(frequencies: litFreq, maxLength: 15, minimumSymbols: 2)
        let distLengths = HuffmanCodeLengths.compute(frequencies: distFreq, maxLength: 15, minimumSymbols: 2)
        let header = DynamicHeader(literalLengths: litLengths, distanceLengths: distLengths)

        func cost(_ lit: [UInt8], _ dist: [UInt8]) -> Int {
            var bits = extraBits
            for (s, f) in litFreq.enumerated() where f > 0 { bits += f * Int(lit[s]) }
            for (s, f) in distFreq.enumerated() where f > 0 { bits += f * Int(dist[s]) }
            return bits
        }
        let dynamicBits = 3 + header.bitCount + cost(litLengths, distLengths)
        let fixedBits = 3 + cost(DeflateTables.fixedLiteralLengths, DeflateTables.fixedDistanceLengths)
        let rawCount = to - from
        let storedBits = rawCount * 8 + ((rawCount + 65534) / 65535) * 40 + 8

        if storedBits <= min(dynamicBits, fixedBits) {
            writeStored(data, from: from, to: to, final: final, into: &writer)
            return
        }
        writer.write(final ? 1 : 0, 1)
        if fixedBits <= dynamicBits {
            writer.write(1, 2)
            writeSymbols(symbols, DeflateTables.fixedLiteralLengths, DeflateTables.fixedDistanceLengths, &writer)
        } else {
            writer.write(2, 2)
            header.write(&writer)
            writeSymbols(symbols, litLengths, distLengths, &writer)
        }
    }

    private static func writeSymbols(_ symbols: Symbols, _ litLengths: [UInt8], _ distLengths: [UInt8],
                                     _ writer: inout LSBBitWriter)
    {
        let litCodes = HuffmanCodeLengths.canonicalCodes(lengths: litLengths)
        let distCodes = HuffmanCodeLengths.canonicalCodes(lengths: distLengths)
        for k in 0..<symbols.litLen.count {
            let d = Int(symbols.distance[k])
            let v = Int(symbols.litLen[k])
            if d == 0 {
                writer.writeCode(litCodes[v], Int(litLengths[v]))
                continue
            }
            let ls = Int(DeflateTables.lengthSymbol[v])
            writer.writeCode(litCodes[ls], Int(litLengths[ls]))
            let li = ls - 257
            writer.write(UInt32(v - Int(DeflateTables.lengthBase[li])), Int(DeflateTables.lengthExtra[li]))
            let ds = DeflateTables.distanceSymbol(d)
            writer.writeCode(distCodes[ds], Int(distLengths[ds]))
            writer.write(UInt32(d - Int(DeflateTables.distanceBase[ds])), Int(DeflateTables.distanceExtra[ds]))
        }
        writer.writeCode(litCodes[256], Int(litLengths[256]))
    }

    /// The header of a dynamic block: code lengths run-length coded with the code-length code.
    private struct DynamicHeader {
        var literalCount: Int
        var distanceCount: Int
        var runs: [(symbol: Int, extra: Int, extraBits: Int)] = []
        var codeLengthLengths: [UInt8]
        var codeLengthCount: Int

        init(literalLengths: [UInt8], distanceLengths: [UInt8]) {
            literalCount = 286
            while literalCount > 257 && literalLengths[literalCount - 1] == 0 { literalCount -= 1 }
            distanceCount = 30
            while distanceCount > 1 && distanceLengths[distanceCount - 1] == 0 { distanceCount -= 1 }
            let all = Array(literalLengths[0..<literalCount]) + Array(distanceLengths[0..<distanceCount])
            var i = 0
            while i < all.count {
                let value = all[i]
                var run = 1
                while i + run < all.count && all[i + run] == value { run += 1 }
                i += run
                if value == 0 {
                    while run >= 11 {
                        let r = min(run, 138)
                        runs.append((18, r - 11, 7))
                        run -= r
                    }
                    if run >= 3 {
                        runs.append((17, run - 3, 3))
                        run = 0
                    }
                } else {
                    runs.append((Int(value), 0, 0))
                    run -= 1
                    while run >= 3 {
                        let r = min(run, 6)
                        runs.append((16, r - 3, 2))
                        run -= r
                    }
                }
                for _ in 0..<run { runs.append((Int(value), 0, 0)) }
            }
            var freq = [Int](repeating: 0, count: 19)
            for r in runs { freq[r.symbol] += 1 }
            codeLengthLengths = HuffmanCodeLengths.compute(frequencies: freq, maxLength: 7, minimumSymbols: 2)
            codeLengthCount = 19
            while codeLengthCount > 4 && codeLengthLengths[DeflateTables.codeLengthOrder[codeLengthCount - 1]] == 0 {
                codeLengthCount -= 1
            }
        }

        var bitCount: Int {
            var bits = 5 + 5 + 4 + 3 * codeLengthCount
            for r in runs { bits += Int(codeLengthLengths[r.symbol]) + r.extraBits }
            return bits
        }

        func write(_ writer: inout LSBBitWriter) {
            writer.write(UInt32(literalCount - 257), 5)
            writer.write(UInt32(distanceCount - 1), 5)
            writer.write(UInt32(codeLengthCount - 4), 4)
            for k in 0..<codeLengthCount {
                writer.write(UInt32(codeLengthLengths[DeflateTables.codeLengthOrder[k]]), 3)
            }
            let codes = HuffmanCodeLengths.canonicalCodes(lengths: codeLengthLengths)
            for r in runs {
                writer.writeCode(codes[r.symbol], Int(codeLengthLengths[r.symbol]))
                if r.extraBits > 0 { writer.write(UInt32(r.extra), r.extraBits) }
            }
        }
    }
}

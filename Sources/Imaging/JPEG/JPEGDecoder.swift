/// Decodes baseline, extended-sequential and progressive Huffman-coded 8-bit
/// JPEGs the way libjpeg-turbo does by default (what Pillow returns):
/// accurate integer IDCT ("islow"), "fancy" triangular chroma upsampling for
/// 2:1 ratios (box replication for other integer ratios), libjpeg's
/// YCbCr -> RGB tables, and libjpeg's guess of the color space (JFIF / Adobe
/// transform / component ids).
enum JPEGDecoder {
    static func decode(_ bytes: [UInt8], maxPixels: Int, applyOrientation: Bool) throws(ImageError) -> Image {
        try bytes.withUnsafeBufferPointer { buffer throws(ImageError) -> Image in
            var parser = JPEGParser(data: buffer, maxPixels: maxPixels)
            try parser.parse(headerOnly: false)
            let image = try parser.render()
            return applyOrientation ? image.oriented(exif: parser.orientation) : image
        }
    }

    /// The header facts without decoding the scans.
    static func info(_ bytes: [UInt8]) throws(ImageError) -> JPEGInfo {
        try bytes.withUnsafeBufferPointer { buffer throws(ImageError) -> JPEGInfo in
            var parser = JPEGParser(data: buffer, maxPixels: Int.max)
            try parser.parse(headerOnly: true)
            guard let frame = parser.frame else {
                throw .truncated(.jpeg, offset: buffer.count, expected: "a frame header (SOF marker)")
            }
            return JPEGInfo(
                width: frame.width, height: frame.height, progressive: frame.progressive,
                samplingFactors: frame.components.map { ($0.h, $0.v) },
                colorSpace: parser.colorSpace(), restartInterval: parser.restartInterval,
                orientation: parser.orientation)
        }
    }
}

/// The header facts of a JPEG.
public struct JPEGInfo: Sendable {
    public var width: Int
    public var height: Int
    public var progressive: Bool
    /// (horizontal, vertical) sampling factors of each component, in frame order.
    public var samplingFactors: [(h: Int, v: Int)]
    public var colorSpace: String
    /// MCUs between restart markers (0: none).
    public var restartInterval: Int
    /// EXIF orientation 1...8 (1 when absent).
    public var orientation: Int

    init(width: Int, height: Int, progressive: Bool, samplingFactors: [(h: Int, v: Int)],
         colorSpace: JPEGColorSpace, restartInterval: Int, orientation: Int)
    {
        self.width = width
        self.height = height
        self.progressive = progressive
        self.samplingFactors = samplingFactors
        self.colorSpace = colorSpace.rawValue
        self.restartInterval = restartInterval
        self.orientation = orientation
    }

    /// Chroma subsampling in the usual notation ("4:2:0", "4:4:4", ...), or the raw factors.
    public var subsampling: String {
        guard samplingFactors.count == 3 else {
            return samplingFactors.map { "\($0.h)x\($0.v)" }.joined(separator: ",")
        }
        let y = samplingFactors[0], cb = samplingFactors[1], cr = samplingFactors[2]
        if cb == cr && cb.h == 1 && cb.v == 1 {
            switch (y.h, y.v) {
            case (1, 1): return "4:4:4"
            case (2, 1): return "4:2:2"
            case (2, 2): return "4:2:0"
            case (1, 2): return "4:4:0"
            case (4, 1): return "4:1:1"
            default: break
            }
        }
        return samplingFactors.map { "\($0.h)x\($0.v)" }.joined(separator: ",")
    }
}

/// Walks the markers of a JPEG and decodes its scans into DCT coefficients.
struct JPEGParser {
    let data: UnsafeBufferPointer<UInt8>
    let maxPixels: Int
    var quantTables: [[Int32]?] = [nil, nil, nil, nil]
    var dcTables: [JPEGHuffmanTable?] = [nil, nil, nil, nil]
    var acTables: [JPEGHuffmanTable?] = [nil, nil, nil, nil]
    var sawHuffmanTable = false
    var restartInterval = 0
    var frame: JPEGFrame? = nil
    var sawJFIF = false
    var adobeTransform: Int? = nil
    var orientation = 1
    var scanCount = 0
    var sawEOI = false
    private var eobrun = 0

    init(data: UnsafeBufferPointer<UInt8>, maxPixels: Int) {
        self.data = data
        self.maxPixels = maxPixels
    }

    // MARK: - Markers

    mutating func parse(headerOnly: Bool) throws(ImageError) {
        guard data.count >= 2, data[0] == 0xFF, data[1] == 0xD8 else {
            throw .unknownFormat(firstBytes: Array(data.prefix(8)))
        }
        var position = 2
        while true {
            // Find the next marker, skipping fill bytes (and, leniently as libjpeg, stray bytes).
            while position < data.count && data[position] != 0xFF { position += 1 }
            while position + 1 < data.count && data[position + 1] == 0xFF { position += 1 }
            guard position + 1 < data.count else {
                if let frame, !frame.progressive, frame.components.allSatisfy(\.seen) { return }
                throw .truncated(.jpeg, offset: data.count,
                                 expected: frame == nil ? "a frame header (SOF marker)" : "more scans or the EOI marker")
            }
            let markerOffset = position
            let marker = data[position + 1]
            position += 2
            switch marker {
            case 0xD9:
                sawEOI = true
                if frame == nil || scanCount == 0 {
                    throw .malformed(.jpeg, offset: markerOffset, reason: "EOI marker before any image data")
                }
                return
            case 0xD0...0xD7, 0x01, 0x00:
                continue  // stray restart marker / TEM / stuffed zero outside a scan
            case 0xD8:
                throw .malformed(.jpeg, offset: markerOffset, reason: "a second SOI marker")
            default:
                break
            }
            guard position + 2 <= data.count else {
                throw .truncated(.jpeg, offset: data.count, expected: "the length of marker 0x\(hex(marker))")
            }
            let length = Int(data[position]) << 8 | Int(data[position + 1])
            guard length >= 2 else {
                throw .malformed(.jpeg, offset: position, reason: "marker 0x\(hex(marker)) has length \(length)")
            }
            guard position + length <= data.count else {
                throw .truncated(.jpeg, offset: data.count,
                                 expected: "\(length) bytes of marker 0x\(hex(marker)) segment starting at byte \(markerOffset)")
            }
            let segment = UnsafeBufferPointer(rebasing: data[(position + 2)..<(position + length)])
            let segmentOffset = position + 2
            position += length
            switch marker {
            case 0xC0, 0xC1, 0xC2:
                try readFrame(segment, offset: segmentOffset, progressive: marker == 0xC2, markerOffset: markerOffset)
            case 0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                let kind = [0xC3: "lossless", 0xC5: "hierarchical", 0xC6: "hierarchical", 0xC7: "hierarchical"][Int(marker)]
                    ?? "arithmetic-coded"
                throw .unsupported(.jpeg, offset: markerOffset, feature: "\(kind) JPEG (SOF marker 0x\(hex(marker)))")
            case 0xC4:
                try readHuffmanTables(segment, offset: segmentOffset)
            case 0xCC:
                throw .unsupported(.jpeg, offset: markerOffset, feature: "arithmetic coding conditioning (DAC)")
            case 0xDB:
                try readQuantTables(segment, offset: segmentOffset)
            case 0xDD:
                guard segment.count >= 2 else {
                    throw .malformed(.jpeg, offset: markerOffset, reason: "DRI segment of \(segment.count) bytes")
                }
                restartInterval = Int(segment[0]) << 8 | Int(segment[1])
            case 0xDA:
                if headerOnly { return }
                position = try readScan(segment, offset: segmentOffset, markerOffset: markerOffset, scanStart: position)
            case 0xDC:
                throw .unsupported(.jpeg, offset: markerOffset, feature: "DNL marker (height defined after the scan)")
            case 0xE0:
                if segment.count >= 5 && Array(segment[0..<5]) == [0x4A, 0x46, 0x49, 0x46, 0x00] { sawJFIF = true }
            case 0xE1:
                if let o = EXIF.orientation(app1: segment) { orientation = o }
            case 0xEE:
                // "Adobe" APP14: the transform flag tells RGB/CMYK from YCbCr/YCCK.
                if segment.count >= 12 && Array(segment[0..<5]) == [0x41, 0x64, 0x6F, 0x62, 0x65] {
                    adobeTransform = Int(segment[11])
                }
            default:
                break  // APPn, COM and unknown segments are skipped
            }
        }
    }

    private mutating func readFrame(_ s: UnsafeBufferPointer<UInt8>, offset: Int, progressive: Bool,
                                    markerOffset: Int) throws(ImageError)
    {
        if frame != nil { throw .malformed(.jpeg, offset: markerOffset, reason: "a second frame header (SOF)") }
        guard s.count >= 6 else { throw .malformed(.jpeg, offset: offset, reason: "SOF segment of \(s.count) bytes") }
        let precision = Int(s[0])
        if precision != 8 {
            throw .unsupported(.jpeg, offset: offset, feature: "\(precision)-bit samples (only 8-bit JPEG is supported)")
        }
        let height = Int(s[1]) << 8 | Int(s[2])
        let width = Int(s[3]) << 8 | Int(s[4])
        let count = Int(s[5])
        if height == 0 {
            throw .unsupported(.jpeg, offset: offset + 1, feature: "height 0 (defined by a DNL marker)")
        }
        if width == 0 { throw .malformed(.jpeg, offset: offset + 3, reason: "width is 0") }
        if width * height > maxPixels {
            throw .tooLarge(.jpeg, offset: offset + 1, width: width, height: height, limit: maxPixels)
        }
        guard count == 1 || count == 3 || count == 4 else {
            throw .unsupported(.jpeg, offset: offset + 5, feature: "\(count) color components")
        }
        guard s.count >= 6 + 3 * count else {
            throw .malformed(.jpeg, offset: offset, reason: "SOF segment too short for \(count) components")
        }
        var specs: [(id: Int, h: Int, v: Int, tq: Int)] = []
        for i in 0..<count {
            let p = 6 + 3 * i
            let h = Int(s[p + 1] >> 4), v = Int(s[p + 1] & 15), tq = Int(s[p + 2])
            guard (1...4).contains(h), (1...4).contains(v) else {
                throw .malformed(.jpeg, offset: offset + p + 1, reason: "sampling factors \(h)x\(v) out of range 1...4")
            }
            guard tq < 4 else {
                throw .malformed(.jpeg, offset: offset + p + 2, reason: "quantization table selector \(tq)")
            }
            if specs.contains(where: { $0.id == Int(s[p]) }) {
                throw .malformed(.jpeg, offset: offset + p, reason: "duplicate component id \(s[p])")
            }
            specs.append((Int(s[p]), h, v, tq))
        }
        let hmax = specs.map(\.h).max() ?? 1, vmax = specs.map(\.v).max() ?? 1
        for spec in specs where hmax % spec.h != 0 || vmax % spec.v != 0 {
            throw .unsupported(.jpeg, offset: offset + 6,
                               feature: "fractional sampling ratio (component \(spec.id) is \(spec.h)x\(spec.v) of \(hmax)x\(vmax))")
        }
        let mcusWide = (width + 8 * hmax - 1) / (8 * hmax)
        let mcusHigh = (height + 8 * vmax - 1) / (8 * vmax)
        var components: [JPEGComponent] = []
        for spec in specs {
            guard let component = JPEGComponent(
                id: spec.id, h: spec.h, v: spec.v, quantSelector: spec.tq, frameWidth: width, frameHeight: height,
                hmax: hmax, vmax: vmax, mcusWide: mcusWide, mcusHigh: mcusHigh)
            else {
                throw .tooLarge(.jpeg, offset: offset + 1, width: width, height: height, limit: maxPixels)
            }
            components.append(component)
        }
        frame = JPEGFrame(progressive: progressive, width: width, height: height, components: components,
                          hmax: hmax, vmax: vmax, mcusWide: mcusWide, mcusHigh: mcusHigh, offset: markerOffset)
    }

    private mutating func readHuffmanTables(_ s: UnsafeBufferPointer<UInt8>, offset: Int) throws(ImageError) {
        var p = 0
        while p < s.count {
            guard p + 17 <= s.count else {
                throw .malformed(.jpeg, offset: offset + p, reason: "DHT segment ends inside a table header")
            }
            let tc = Int(s[p] >> 4), th = Int(s[p] & 15)
            guard tc <= 1, th <= 3 else {
                throw .malformed(.jpeg, offset: offset + p, reason: "Huffman table class \(tc) / id \(th)")
            }
            let counts = (0..<16).map { Int(s[p + 1 + $0]) }
            let total = counts.reduce(0, +)
            guard total <= 256, p + 17 + total <= s.count else {
                throw .malformed(.jpeg, offset: offset + p, reason: "DHT table declares \(total) symbols")
            }
            let values = Array(s[(p + 17)..<(p + 17 + total)])
            guard let table = JPEGHuffmanTable(counts: counts, values: values) else {
                throw .malformed(.jpeg, offset: offset + p, reason: "Huffman code lengths over-subscribe the code space")
            }
            if tc == 0 { dcTables[th] = table } else { acTables[th] = table }
            sawHuffmanTable = true
            p += 17 + total
        }
    }

    private mutating func readQuantTables(_ s: UnsafeBufferPointer<UInt8>, offset: Int) throws(ImageError) {
        var p = 0
        while p < s.count {
            let pq = Int(s[p] >> 4), tq = Int(s[p] & 15)
            guard pq <= 1, tq <= 3 else {
                throw .malformed(.jpeg, offset: offset + p, reason: "quantization table precision \(pq) / id \(tq)")
            }
            let size = pq == 0 ? 64 : 128
            guard p + 1 + size <= s.count else {
                throw .malformed(.jpeg, offset: offset + p, reason: "DQT segment ends inside table \(tq)")
            }
            var table = [Int32](repeating: 0, count: 64)
            for k in 0..<64 {
                let value = pq == 0 ? Int32(s[p + 1 + k]) : Int32(s[p + 1 + 2 * k]) << 8 | Int32(s[p + 2 + 2 * k])
                table[JPEGZigzag.natural[k]] = value
            }
            quantTables[tq] = table
            p += 1 + size
        }
    }

    /// libjpeg's guess of the color space.
    func colorSpace() -> JPEGColorSpace {
        guard let frame else { return .yCbCr }
        switch frame.components.count {
        case 1:
            return .gray
        case 3:
            if sawJFIF { return .yCbCr }
            if let t = adobeTransform { return t == 0 ? .rgb : .yCbCr }
            let ids = frame.components.map(\.id)
            if ids == [0x52, 0x47, 0x42] { return .rgb }
            return .yCbCr
        default:
            if let t = adobeTransform, t == 0 { return .cmyk }
            return adobeTransform == nil ? .cmyk : .ycck
        }
    }

    // MARK: - Scans

    private mutating func readScan(_ s: UnsafeBufferPointer<UInt8>, offset: Int, markerOffset: Int,
                                   scanStart: Int) throws(ImageError) -> Int
    {
        guard let frame else { throw .malformed(.jpeg, offset: markerOffset, reason: "scan (SOS) before the frame header") }
        guard s.count >= 1 else { throw .malformed(.jpeg, offset: offset, reason: "empty SOS segment") }
        let n = Int(s[0])
        guard (1...4).contains(n), s.count >= 1 + 2 * n + 3 else {
            throw .malformed(.jpeg, offset: offset, reason: "SOS segment for \(n) components is \(s.count) bytes")
        }
        var components: [JPEGComponent] = []
        var dcSel: [Int] = [], acSel: [Int] = []
        for i in 0..<n {
            let id = Int(s[1 + 2 * i])
            guard let c = frame.components.first(where: { $0.id == id }) else {
                throw .malformed(.jpeg, offset: offset + 1 + 2 * i, reason: "scan names unknown component id \(id)")
            }
            if components.contains(where: { $0 === c }) {
                throw .malformed(.jpeg, offset: offset + 1 + 2 * i, reason: "scan names component \(id) twice")
            }
            components.append(c)
            dcSel.append(Int(s[2 + 2 * i] >> 4))
            acSel.append(Int(s[2 + 2 * i] & 15))
        }
        let ss = Int(s[1 + 2 * n]), se = Int(s[2 + 2 * n])
        let ah = Int(s[3 + 2 * n] >> 4), al = Int(s[3 + 2 * n] & 15)
        if dcSel.contains(where: { $0 > 3 }) || acSel.contains(where: { $0 > 3 }) {
            throw .malformed(.jpeg, offset: offset, reason: "Huffman table selector above 3")
        }
        // Blocks per MCU in an interleaved scan are limited to 10 (T.81 B.2.3).
        if n > 1 && components.reduce(0, { $0 + $1.h * $1.v }) > 10 {
            throw .malformed(.jpeg, offset: offset, reason: "more than 10 blocks per MCU")
        }
        if frame.progressive {
            let valid = ss <= se && se <= 63 && al <= 13 && ah <= 13 && (ss == 0 ? se == 0 : n == 1)
            if !valid {
                throw .malformed(.jpeg, offset: offset + 1 + 2 * n,
                                 reason: "invalid progressive scan parameters Ss=\(ss) Se=\(se) Ah=\(ah) Al=\(al)")
            }
        }
        for c in components {
            if c.quant == nil {
                guard let q = quantTables[c.quantSelector] else {
                    throw .malformed(.jpeg, offset: markerOffset,
                                     reason: "component \(c.id) uses quantization table \(c.quantSelector), which is not defined")
                }
                c.quant = q
            }
            c.seen = true
        }
        if !sawHuffmanTable && !frame.progressive { installStandardTables() }
        // Tables the scan needs.
        let needsDC = !frame.progressive || (ss == 0 && ah == 0)
        let needsAC = !frame.progressive || ss > 0
        var dc: [JPEGHuffmanTable] = [], ac: [JPEGHuffmanTable] = []
        for i in 0..<n {
            if needsDC {
                guard let t = dcTables[dcSel[i]] else {
                    throw .malformed(.jpeg, offset: offset, reason: "scan uses DC Huffman table \(dcSel[i]), which is not defined")
                }
                if t.symbolList.contains(where: { $0 > 15 }) {
                    throw .malformed(.jpeg, offset: offset, reason: "DC Huffman table \(dcSel[i]) has a symbol above 15")
                }
                dc.append(t)
            }
            if needsAC {
                guard let t = acTables[acSel[i]] else {
                    throw .malformed(.jpeg, offset: offset, reason: "scan uses AC Huffman table \(acSel[i]), which is not defined")
                }
                ac.append(t)
            }
        }
        scanCount += 1
        let params = ScanParameters(components: components, dc: dc, ac: ac, ss: ss, se: se, ah: ah, al: al,
                                    progressive: frame.progressive, index: scanCount)
        return try decodeScan(params, frame: frame, start: scanStart)
    }

    private mutating func installStandardTables() {
        typealias T = JPEGStandardTables
        dcTables[0] = dcTables[0] ?? JPEGHuffmanTable(counts: T.dcLuminanceCounts, values: T.dcLuminanceValues)
        dcTables[1] = dcTables[1] ?? JPEGHuffmanTable(counts: T.dcChrominanceCounts, values: T.dcChrominanceValues)
        acTables[0] = acTables[0] ?? JPEGHuffmanTable(counts: T.acLuminanceCounts, values: T.acLuminanceValues)
        acTables[1] = acTables[1] ?? JPEGHuffmanTable(counts: T.acChrominanceCounts, values: T.acChrominanceValues)
    }

    struct ScanParameters {
        var components: [JPEGComponent]
        var dc: [JPEGHuffmanTable]
        var ac: [JPEGHuffmanTable]
        var ss: Int, se: Int, ah: Int, al: Int
        var progressive: Bool
        var index: Int
    }

    private enum BlockKind { case sequential, dcFirst, dcRefine, acFirst, acRefine }

    /// Decodes the entropy-coded data of one scan; returns the offset of the marker after it.
    private mutating func decodeScan(_ p: ScanParameters, frame: JPEGFrame, start: Int) throws(ImageError) -> Int {
        let kind: BlockKind
        if !p.progressive {
            kind = .sequential
        } else if p.ss == 0 {
            kind = p.ah == 0 ? .dcFirst : .dcRefine
        } else {
            kind = p.ah == 0 ? .acFirst : .acRefine
        }
        let single = p.components.count == 1
        let mcusWide = single ? p.components[0].blocksWide : frame.mcusWide
        let mcusHigh = single ? p.components[0].blocksHigh : frame.mcusHigh
        let total = mcusWide * mcusHigh
        var reader = JPEGBitReader(data: data, position: start)
        var predictors = [Int](repeating: 0, count: p.components.count)
        eobrun = 0
        var untilRestart = restartInterval
        return try JPEGZigzag.natural.withUnsafeBufferPointer { natural throws(ImageError) -> Int in
        for mcu in 0..<total {
            if restartInterval > 0 {
                if untilRestart == 0 {
                    if !reader.consumeRestartMarker() {
                        throw .malformed(.jpeg, offset: reader.offset,
                                         reason: "expected a restart marker before MCU \(mcu) of scan \(p.index)")
                    }
                    untilRestart = restartInterval
                    for i in predictors.indices { predictors[i] = 0 }
                    eobrun = 0
                }
                untilRestart -= 1
            }
            let my = mcu / mcusWide, mx = mcu % mcusWide
            for (ci, c) in p.components.enumerated() {
                let bh = single ? 1 : c.v, bw = single ? 1 : c.h
                for by in 0..<bh {
                    for bx in 0..<bw {
                        let block = single ? c.block(row: my, column: mx) : c.block(row: my * c.v + by, column: mx * c.h + bx)
                        let ok: Bool
                        switch kind {
                        case .sequential:
                            ok = decodeSequential(&reader, block, &predictors[ci], p.dc[ci], p.ac[ci], natural)
                        case .dcFirst:
                            ok = decodeDCFirst(&reader, block, &predictors[ci], p.dc[ci], p.al)
                        case .dcRefine:
                            block[0] |= Int16(truncatingIfNeeded: reader.bit() << p.al)
                            ok = true
                        case .acFirst:
                            ok = decodeACFirst(&reader, block, p.ac[ci], p.ss, p.se, p.al, natural)
                        case .acRefine:
                            ok = decodeACRefine(&reader, block, p.ac[ci], p.ss, p.se, p.al, natural)
                        }
                        if !ok {
                            throw .malformed(.jpeg, offset: reader.offset,
                                             reason: "invalid Huffman code in MCU \(mcu) of scan \(p.index)")
                        }
                    }
                }
            }
            if reader.hitEnd && reader.consumedPadding {
                throw .truncated(.jpeg, offset: data.count,
                                 expected: "entropy-coded data of MCU \(mcu) of \(total) in scan \(p.index)")
            }
        }
        return reader.endOfScan()
        }
    }

    @inline(__always)
    private func decodeSequential(_ r: inout JPEGBitReader, _ block: UnsafeMutablePointer<Int16>, _ predictor: inout Int,
                                  _ dc: JPEGHuffmanTable, _ ac: JPEGHuffmanTable, _ natural: UnsafeBufferPointer<Int>) -> Bool
    {
        guard let s = r.decode(dc) else { return false }
        predictor = Int(Int32(truncatingIfNeeded: predictor + r.receiveExtend(s)))
        block[0] = Int16(truncatingIfNeeded: predictor)
        var k = 1
        while k < 64 {
            guard let rs = r.decode(ac) else { return false }
            let run = rs >> 4, size = rs & 15
            if size != 0 {
                k += run
                block[natural[k]] = Int16(truncatingIfNeeded: r.receiveExtend(size))
                k += 1
            } else {
                if run != 15 { break }
                k += 16
            }
        }
        return true
    }

    @inline(__always)
    private func decodeDCFirst(_ r: inout JPEGBitReader, _ block: UnsafeMutablePointer<Int16>, _ predictor: inout Int,
                               _ dc: JPEGHuffmanTable, _ al: Int) -> Bool
    {
        guard let s = r.decode(dc) else { return false }
        predictor = Int(Int32(truncatingIfNeeded: predictor + r.receiveExtend(s)))
        block[0] = Int16(truncatingIfNeeded: predictor << al)
        return true
    }

    @inline(__always)
    private mutating func decodeACFirst(_ r: inout JPEGBitReader, _ block: UnsafeMutablePointer<Int16>,
                                        _ ac: JPEGHuffmanTable, _ ss: Int, _ se: Int, _ al: Int, _ natural: UnsafeBufferPointer<Int>) -> Bool
    {
        if eobrun > 0 {
            eobrun -= 1
            return true
        }
        var k = ss
        while k <= se {
            guard let rs = r.decode(ac) else { return false }
            let run = rs >> 4, size = rs & 15
            if size != 0 {
                k += run
                block[natural[k]] = Int16(truncatingIfNeeded: r.receiveExtend(size) << al)
            } else if run == 15 {
                k += 15
            } else {
                eobrun = 1 << run
                if run > 0 { eobrun += r.bits(run) }
                eobrun -= 1
                break
            }
            k += 1
        }
        return true
    }

    /// Successive approximation refinement of AC coefficients (T.81 G.1.2.3).
    @inline(__always)
    private mutating func decodeACRefine(_ r: inout JPEGBitReader, _ block: UnsafeMutablePointer<Int16>,
                                         _ ac: JPEGHuffmanTable, _ ss: Int, _ se: Int, _ al: Int, _ natural: UnsafeBufferPointer<Int>) -> Bool
    {
        let p1 = Int16(truncatingIfNeeded: 1 << al)
        let m1 = Int16(truncatingIfNeeded: -1 << al)
        var k = ss
        if eobrun == 0 {
            while k <= se {
                guard let rs = r.decode(ac) else { return false }
                var run = rs >> 4
                let size = rs & 15
                var value: Int16 = 0
                if size != 0 {
                    // size must be 1; a new coefficient of magnitude 1 << al, sign from the next bit.
                    value = r.bit() != 0 ? p1 : m1
                } else if run != 15 {
                    eobrun = 1 << run
                    if run > 0 { eobrun += r.bits(run) }
                    break
                }
                // Skip `run` zero coefficients, refining the nonzero ones passed on the way.
                while k <= se {
                    let position = natural[k]
                    let coefficient = block[position]
                    if coefficient != 0 {
                        if r.bit() != 0 && (coefficient & p1) == 0 {
                            block[position] = coefficient >= 0 ? coefficient &+ p1 : coefficient &+ m1
                        }
                    } else {
                        if run == 0 { break }
                        run -= 1
                    }
                    k += 1
                }
                // natural[] has padding entries, so k == se + 1 stays in bounds (as in libjpeg).
                if value != 0 { block[natural[k]] = value }
                k += 1
            }
        }
        if eobrun > 0 {
            // Inside an end-of-band run: only refine the nonzero coefficients.
            while k <= se {
                let position = natural[k]
                let coefficient = block[position]
                if coefficient != 0 && r.bit() != 0 && (coefficient & p1) == 0 {
                    block[position] = coefficient >= 0 ? coefficient &+ p1 : coefficient &+ m1
                }
                k += 1
            }
            eobrun -= 1
        }
        return true
    }
}

private func hex(_ b: UInt8) -> String {
    let s = String(b, radix: 16, uppercase: true)
    return s.count == 1 ? "0" + s : s
}

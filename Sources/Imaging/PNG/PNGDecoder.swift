/// Decodes PNG files: every color type and bit depth, palettes with tRNS,
/// Adam7 interlacing; chunk CRCs and the zlib Adler-32 are checked.
///
/// Output layout (the way Pillow's `convert` presents them):
/// gray 1/2/4 bits are scaled to 8 bits; a palette becomes RGB, or RGBA when
/// a tRNS chunk is present; gray or RGB with a tRNS key gain an alpha channel;
/// 16-bit images stay 16-bit (big-endian samples).
enum PNGDecoder {
    /// Parses the chunks up to the image data and returns the header.
    static func header(_ bytes: [UInt8]) throws(ImageError) -> PNGHeader {
        var parser = PNGChunkParser(bytes: bytes)
        return try parser.readHeader()
    }

    /// Whether a tRNS chunk precedes the image data (best effort: false when the chunks are unreadable).
    static func hasTransparency(_ bytes: [UInt8]) -> Bool {
        var parser = PNGChunkParser(bytes: bytes)
        guard (try? parser.readHeader()) != nil else { return false }
        while let chunk = try? parser.nextChunk() {
            if chunk.type == "tRNS" { return true }
            if chunk.type == "IDAT" || chunk.type == "IEND" { return false }
        }
        return false
    }

    static func decode(_ bytes: [UInt8], maxPixels: Int) throws(ImageError) -> Image {
        var parser = PNGChunkParser(bytes: bytes)
        let header = try parser.readHeader()
        if header.width * header.height > maxPixels {
            throw .tooLarge(.png, offset: 16, width: header.width, height: header.height, limit: maxPixels)
        }
        try parser.readRemainingChunks(header)
        if header.colorType == 3 && parser.palette.isEmpty {
            throw .malformed(.png, offset: parser.firstIDATOffset, reason: "palette image without a PLTE chunk")
        }
        if parser.idatRanges.isEmpty {
            throw .truncated(.png, offset: bytes.count, expected: "an IDAT chunk with the image data")
        }

        var expected = 0
        if header.interlaced {
            for p in 0..<7 {
                let s = Adam7.size(pass: p, width: header.width, height: header.height)
                if s.width > 0 && s.height > 0 { expected += s.height * (1 + header.rowBytes(width: s.width)) }
            }
        } else {
            expected = header.height * (1 + header.rowBytes(width: header.width))
        }

        let stream = parser.imageData
        let inflated: [UInt8]
        do {
            inflated = try stream.withUnsafeBufferPointer { buf throws(ZlibError) in
                try Zlib.decompress(buf, outputLimit: expected, sizeHint: expected).bytes
            }
        } catch {
            let fileOffset = parser.fileOffset(ofStreamOffset: error.offset)
            switch error.kind {
            case .truncated:
                throw .truncated(.png, offset: fileOffset, expected: "\(error.reason) in the image data")
            case .malformed:
                throw .malformed(.png, offset: fileOffset, reason: "image data: \(error.reason)")
            case .checksum(let stored, let computed):
                throw .checksumMismatch(.png, offset: fileOffset, what: "zlib Adler-32", stored: stored, computed: computed)
            }
        }
        if inflated.count < expected {
            throw .truncated(.png, offset: parser.fileOffset(ofStreamOffset: stream.count),
                             expected: "\(expected) bytes of image data, the stream holds \(inflated.count)")
        }

        var output = PNGPixelWriter(header: header, palette: parser.palette, transparency: parser.transparency)
        var position = 0
        let passes = header.interlaced ? Array(0..<7) : [-1]
        for p in passes {
            let (w, h, x0, y0, dx, dy) = p < 0
                ? (header.width, header.height, 0, 0, 1, 1)
                : {
                    let s = Adam7.size(pass: p, width: header.width, height: header.height)
                    let pass = Adam7.passes[p]
                    return (s.width, s.height, pass.x, pass.y, pass.dx, pass.dy)
                }()
            if w == 0 || h == 0 { continue }
            let rowBytes = header.rowBytes(width: w)
            var previous = [UInt8](repeating: 0, count: rowBytes)
            var current = [UInt8](repeating: 0, count: rowBytes)
            for r in 0..<h {
                let filter = inflated[position]
                if filter > 4 {
                    throw .malformed(.png, offset: parser.firstIDATOffset,
                                     reason: "row \(r)\(p >= 0 ? " of interlace pass \(p + 1)" : "") has invalid filter type \(filter)")
                }
                for i in 0..<rowBytes { current[i] = inflated[position + 1 + i] }
                position += 1 + rowBytes
                unfilter(&current, previous: previous, filter: filter, stride: header.filterStride)
                output.writeRow(current, count: w, y: y0 + r * dy, x0: x0, dx: dx)
                swap(&previous, &current)
            }
        }
        return output.image
    }

    /// Reverses a row's filter in place.
    static func unfilter(_ row: inout [UInt8], previous: [UInt8], filter: UInt8, stride bpp: Int) {
        let n = row.count
        row.withUnsafeMutableBufferPointer { cur in
            previous.withUnsafeBufferPointer { prev in
                switch filter {
                case 1:
                    if n > bpp { for i in bpp..<n { cur[i] = cur[i] &+ cur[i - bpp] } }
                case 2:
                    for i in 0..<n { cur[i] = cur[i] &+ prev[i] }
                case 3:
                    for i in 0..<n {
                        let a = i >= bpp ? Int(cur[i - bpp]) : 0
                        cur[i] = cur[i] &+ UInt8((a + Int(prev[i])) >> 1)
                    }
                case 4:
                    for i in 0..<n {
                        let a = i >= bpp ? Int(cur[i - bpp]) : 0
                        let c = i >= bpp ? Int(prev[i - bpp]) : 0
                        cur[i] = cur[i] &+ UInt8(PNGFilter.paeth(a, Int(prev[i]), c))
                    }
                default:
                    break
                }
            }
        }
    }
}

/// Walks a PNG's chunks, checking lengths and CRCs.
struct PNGChunkParser {
    let bytes: [UInt8]
    var position = 8
    var palette: [UInt8] = []
    /// The tRNS chunk's payload, if any.
    var transparency: [UInt8]? = nil
    /// (file offset of the chunk data, length) of each IDAT chunk.
    var idatRanges: [(start: Int, count: Int)] = []
    var imageData: [UInt8] = []
    var firstIDATOffset = 8

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The chunk at `position`: type, data range; advances past it.
    mutating func nextChunk() throws(ImageError) -> (type: String, start: Int, count: Int)? {
        if position == bytes.count { return nil }
        let chunkOffset = position
        guard position + 8 <= bytes.count else {
            throw .truncated(.png, offset: bytes.count, expected: "a chunk header (length and type)")
        }
        let length = Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16
            | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
        let typeBytes = Array(bytes[(position + 4)..<(position + 8)])
        let typeIsText = typeBytes.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        guard typeIsText else {
            throw .malformed(.png, offset: position + 4, reason: "chunk type bytes \(typeBytes) are not letters")
        }
        let type = String(decoding: typeBytes, as: UTF8.self)
        if length > 0x7FFF_FFFF {
            throw .malformed(.png, offset: chunkOffset, reason: "\(type) chunk length \(length) exceeds 2^31-1")
        }
        let dataStart = position + 8
        guard dataStart + length + 4 <= bytes.count else {
            throw .truncated(.png, offset: bytes.count, expected: "\(length) bytes of \(type) chunk data and its CRC")
        }
        let crcOffset = dataStart + length
        let stored = UInt32(bytes[crcOffset]) << 24 | UInt32(bytes[crcOffset + 1]) << 16
            | UInt32(bytes[crcOffset + 2]) << 8 | UInt32(bytes[crcOffset + 3])
        var crc = CRC32()
        bytes.withUnsafeBufferPointer { crc.update(UnsafeBufferPointer(rebasing: $0[(position + 4)..<crcOffset])) }
        if crc.value != stored {
            throw .checksumMismatch(.png, offset: crcOffset, what: "\(type) chunk CRC-32", stored: stored, computed: crc.value)
        }
        position = crcOffset + 4
        return (type, dataStart, length)
    }

    mutating func readHeader() throws(ImageError) -> PNGHeader {
        guard bytes.count >= 8, Array(bytes[0..<8]) == PNGSignature.bytes else {
            throw .unknownFormat(firstBytes: Array(bytes.prefix(8)))
        }
        guard let chunk = try nextChunk() else {
            throw .truncated(.png, offset: bytes.count, expected: "the IHDR chunk")
        }
        guard chunk.type == "IHDR" else {
            throw .malformed(.png, offset: 12, reason: "the first chunk is \(chunk.type), not IHDR")
        }
        guard chunk.count == 13 else {
            throw .malformed(.png, offset: 8, reason: "IHDR chunk is \(chunk.count) bytes, not 13")
        }
        let s = chunk.start
        let width = Int(bytes[s]) << 24 | Int(bytes[s + 1]) << 16 | Int(bytes[s + 2]) << 8 | Int(bytes[s + 3])
        let height = Int(bytes[s + 4]) << 24 | Int(bytes[s + 5]) << 16 | Int(bytes[s + 6]) << 8 | Int(bytes[s + 7])
        let depth = Int(bytes[s + 8]), colorType = Int(bytes[s + 9])
        if width == 0 || height == 0 || width > 0x7FFF_FFFF || height > 0x7FFF_FFFF {
            throw .malformed(.png, offset: s, reason: "image size \(width)x\(height) is invalid")
        }
        if !PNGHeader.validate(colorType: colorType, bitDepth: depth) {
            throw .malformed(.png, offset: s + 8, reason: "bit depth \(depth) is invalid for color type \(colorType)")
        }
        if bytes[s + 10] != 0 {
            throw .unsupported(.png, offset: s + 10, feature: "compression method \(bytes[s + 10])")
        }
        if bytes[s + 11] != 0 {
            throw .unsupported(.png, offset: s + 11, feature: "filter method \(bytes[s + 11])")
        }
        if bytes[s + 12] > 1 {
            throw .malformed(.png, offset: s + 12, reason: "interlace method \(bytes[s + 12]) is invalid")
        }
        return PNGHeader(colorType: colorType, bitDepth: depth, width: width, height: height, interlaced: bytes[s + 12] == 1)
    }

    mutating func readRemainingChunks(_ header: PNGHeader) throws(ImageError) {
        while let chunk = try nextChunk() {
            let chunkOffset = chunk.start - 8
            switch chunk.type {
            case "IHDR":
                throw .malformed(.png, offset: chunkOffset, reason: "a second IHDR chunk")
            case "PLTE":
                if chunk.count % 3 != 0 || chunk.count == 0 || chunk.count > 768 {
                    throw .malformed(.png, offset: chunkOffset, reason: "PLTE chunk of \(chunk.count) bytes")
                }
                palette = Array(bytes[chunk.start..<(chunk.start + chunk.count)])
            case "tRNS":
                transparency = Array(bytes[chunk.start..<(chunk.start + chunk.count)])
            case "IDAT":
                if idatRanges.isEmpty { firstIDATOffset = chunkOffset }
                idatRanges.append((chunk.start, chunk.count))
                imageData.append(contentsOf: bytes[chunk.start..<(chunk.start + chunk.count)])
            case "IEND":
                return
            default:
                // Bit 5 of the first letter clear (uppercase) marks a critical chunk.
                if chunk.type.utf8.first.map({ $0 & 0x20 == 0 }) == true {
                    throw .unsupported(.png, offset: chunkOffset, feature: "critical chunk \(chunk.type)")
                }
            }
        }
    }

    /// Maps an offset in the concatenated IDAT payloads back to the file.
    func fileOffset(ofStreamOffset offset: Int) -> Int {
        var remaining = offset
        for range in idatRanges {
            if remaining < range.count { return range.start + remaining }
            remaining -= range.count
        }
        if let last = idatRanges.last { return last.start + last.count }
        return bytes.count
    }
}

/// The decoded channel count for a header: palette -> RGB(A), tRNS adds alpha to gray and RGB.
struct PNGPixelWriterShape {
    var channels: Int
    init(header: PNGHeader, hasTransparency: Bool) {
        switch header.colorType {
        case 0: channels = hasTransparency ? 2 : 1
        case 2, 3: channels = hasTransparency ? 4 : 3
        case 4: channels = 2
        default: channels = 4
        }
    }
}

/// Converts unfiltered rows into the output image's samples.
struct PNGPixelWriter {
    let header: PNGHeader
    let palette: [UInt8]
    let outChannels: Int
    let outDepth: Int
    var image: Image
    /// Palette as RGBA, 256 entries (missing entries black, opaque).
    private var paletteRGBA: [UInt8] = []
    /// Gray or RGB transparency key, at the stored depth.
    private var key: [Int]? = nil

    init(header: PNGHeader, palette: [UInt8], transparency: [UInt8]?) {
        self.header = header
        self.palette = palette
        var channels: Int
        switch header.colorType {
        case 0: channels = 1
        case 2: channels = 3
        case 3: channels = 3
        case 4: channels = 2
        default: channels = 4
        }
        outDepth = header.bitDepth == 16 ? 16 : 8
        if let trns = transparency {
            switch header.colorType {
            case 3:
                channels = 4
            case 0 where trns.count >= 2:
                channels = 2
                key = [Int(trns[0]) << 8 | Int(trns[1])]
            case 2 where trns.count >= 6:
                channels = 4
                key = [0, 2, 4].map { Int(trns[$0]) << 8 | Int(trns[$0 + 1]) }
            default:
                break
            }
        }
        outChannels = channels
        image = Image(width: header.width, height: header.height, channels: channels, bitDepth: outDepth)
        if header.colorType == 3 {
            paletteRGBA = [UInt8](repeating: 0, count: 1024)
            for i in 0..<256 {
                if i * 3 + 2 < palette.count {
                    paletteRGBA[i * 4] = palette[i * 3]
                    paletteRGBA[i * 4 + 1] = palette[i * 3 + 1]
                    paletteRGBA[i * 4 + 2] = palette[i * 3 + 2]
                }
                let alphas = transparency ?? []
                paletteRGBA[i * 4 + 3] = i < alphas.count ? alphas[i] : 255
            }
        }
    }

    /// Writes `count` pixels of an unfiltered row to row `y`, at x = x0, x0 + dx, ...
    mutating func writeRow(_ row: [UInt8], count: Int, y: Int, x0: Int, dx: Int) {
        let depth = header.bitDepth
        let outPixelBytes = outChannels * (outDepth / 8)
        let rowStart = y * image.width * outPixelBytes
        let header = self.header
        let key = self.key
        let outChannels = self.outChannels
        let paletteRGBA = self.paletteRGBA
        image.pixels.withUnsafeMutableBufferPointer { out in
            row.withUnsafeBufferPointer { src in
                @inline(__always) func sample(_ i: Int) -> Int {
                    switch depth {
                    case 8: return Int(src[i])
                    case 16: return Int(src[2 * i]) << 8 | Int(src[2 * i + 1])
                    default:
                        let bit = i * depth
                        let shift = 8 - depth - (bit & 7)
                        return (Int(src[bit >> 3]) >> shift) & ((1 << depth) - 1)
                    }
                }
                for i in 0..<count {
                    var o = rowStart + (x0 + i * dx) * outPixelBytes
                    switch header.colorType {
                    case 3:
                        let index = sample(i)
                        out[o] = paletteRGBA[index * 4]
                        out[o + 1] = paletteRGBA[index * 4 + 1]
                        out[o + 2] = paletteRGBA[index * 4 + 2]
                        if outChannels == 4 { out[o + 3] = paletteRGBA[index * 4 + 3] }
                    case 0 where depth < 8:
                        let v = sample(i)
                        let scale = depth == 1 ? 255 : depth == 2 ? 85 : 17
                        out[o] = UInt8(v * scale)
                        if outChannels == 2 { out[o + 1] = v == key?[0] ? 0 : 255 }
                    default:
                        let stored = header.storedChannels
                        if depth == 8 {
                            for c in 0..<stored { out[o + c] = src[i * stored + c] }
                        } else {
                            for c in 0..<(2 * stored) { out[o + c] = src[i * 2 * stored + c] }
                        }
                        if let key, outChannels > stored {
                            var matches = true
                            for c in 0..<stored where sample(i * stored + c) != key[c] { matches = false }
                            o += stored * (depth / 8)
                            let alpha: UInt8 = matches ? 0 : 255
                            out[o] = alpha
                            if depth == 16 { out[o + 1] = alpha }
                        }
                    }
                }
            }
        }
    }
}

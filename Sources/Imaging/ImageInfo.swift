/// What an image file declares, read from its headers without decoding the pixels.
public struct ImageInfo: Sendable {
    public var format: ImageFormat
    /// Size as stored (before any EXIF orientation).
    public var width: Int
    public var height: Int
    /// Channels and bit depth ``ImageCodec/decode(_:)`` produces.
    public var channels: Int
    public var bitDepth: Int
    /// JPEG specifics (sampling factors, progressive, color space, orientation); nil for PNG.
    public var jpeg: JPEGInfo?
    /// PNG specifics (color type, stored depth, interlacing); nil for JPEG.
    public var png: PNGHeader?

    /// One line for people: `JPEG 256x256, 3 channels, YCbCr 4:2:0, baseline`.
    public var summary: String {
        var parts = ["\(format) \(width)x\(height)", "\(channels) channel\(channels == 1 ? "" : "s") of \(bitDepth) bits"]
        if let jpeg {
            parts.append(jpeg.colorSpace + (jpeg.samplingFactors.count > 1 ? " " + jpeg.subsampling : ""))
            parts.append("sampling factors " + jpeg.samplingFactors.map { "\($0.h)x\($0.v)" }.joined(separator: ","))
            parts.append(jpeg.progressive ? "progressive" : "baseline/sequential")
            if jpeg.restartInterval > 0 { parts.append("restart interval \(jpeg.restartInterval)") }
            if jpeg.orientation != 1 { parts.append("EXIF orientation \(jpeg.orientation)") }
        }
        if let png {
            parts.append("\(png.colorTypeName), \(png.bitDepth)-bit stored")
            parts.append(png.interlaced ? "Adam7 interlaced" : "not interlaced")
        }
        return parts.joined(separator: ", ")
    }
}

extension ImageCodec {
    /// Reads the headers of a JPEG or PNG without decoding pixels.
    /// - Throws: ``ImageError`` when the headers are missing or invalid.
    public static func info(_ bytes: [UInt8]) throws(ImageError) -> ImageInfo {
        switch ImageFormat.sniff(bytes) {
        case .jpeg:
            let jpeg = try JPEGDecoder.info(bytes)
            let gray = jpeg.samplingFactors.count == 1
            return ImageInfo(format: .jpeg, width: jpeg.width, height: jpeg.height, channels: gray ? 1 : 3,
                             bitDepth: 8, jpeg: jpeg, png: nil)
        case .png:
            let header = try PNGDecoder.header(bytes)
            let writer = PNGPixelWriterShape(header: header, hasTransparency: PNGDecoder.hasTransparency(bytes))
            return ImageInfo(format: .png, width: header.width, height: header.height, channels: writer.channels,
                             bitDepth: header.bitDepth == 16 ? 16 : 8, jpeg: nil, png: header)
        case nil:
            throw .unknownFormat(firstBytes: Array(bytes.prefix(8)))
        }
    }
}

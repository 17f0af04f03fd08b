/// A decoded raster image: interleaved samples, row-major, top row first.
///
/// `pixels.count == width * height * channels * (bitDepth / 8)`. Channels are
/// 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). 16-bit samples are stored
/// big-endian (high byte first), as PNG stores them and as the conformance
/// `.raw` files hold them.
public struct Image: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Samples per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    public var channels: Int
    /// Bits per sample: 8 or 16.
    public var bitDepth: Int
    /// Interleaved samples, row-major; 16-bit samples big-endian.
    public var pixels: [UInt8]

    /// Wraps samples as an image. `pixels.count` must equal
    /// `width * height * channels * bitDepth / 8` (checked by `assert` only:
    /// decoders construct images of the right size; use ``isConsistent`` on
    /// anything built from untrusted numbers).
    public init(width: Int, height: Int, channels: Int, bitDepth: Int = 8, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.pixels = pixels
        assert(isConsistent, "Image \(width)x\(height)x\(channels)@\(bitDepth) with \(pixels.count) bytes")
    }

    /// A `width` x `height` image with every sample zero.
    public init(width: Int, height: Int, channels: Int, bitDepth: Int = 8) {
        let count = max(0, width) * max(0, height) * channels * (bitDepth / 8)
        self.init(width: width, height: height, channels: channels, bitDepth: bitDepth,
                  pixels: [UInt8](repeating: 0, count: count))
    }

    /// Bytes per sample (1 or 2).
    public var bytesPerSample: Int { bitDepth / 8 }
    /// Bytes per pixel.
    public var bytesPerPixel: Int { channels * bytesPerSample }
    /// Bytes per row.
    public var rowBytes: Int { width * bytesPerPixel }

    /// Whether the fields describe a supported layout and `pixels` has exactly the right size.
    public var isConsistent: Bool {
        width >= 0 && height >= 0 && (1...4).contains(channels) && (bitDepth == 8 || bitDepth == 16)
            && pixels.count == width * height * channels * (bitDepth / 8)
    }

    /// Whether the image has an alpha channel (2 or 4 channels).
    public var hasAlpha: Bool { channels == 2 || channels == 4 }
}

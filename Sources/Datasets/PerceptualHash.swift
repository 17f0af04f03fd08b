import Imaging

/// A 64-bit difference hash ("dHash") of an image's coarse structure: the image
/// is reduced to 9x8 gray pixels (bicubic, antialiased) and each bit tells
/// whether a pixel is brighter than its right neighbour. Re-encoded, resized or
/// slightly recolored copies of a picture hash within a few bits of each other.
public struct PerceptualHash: Sendable, Hashable, CustomStringConvertible {
    public let bits: UInt64

    public init(bits: UInt64) { self.bits = bits }

    /// The hash of `image` (any channels or depth).
    public init(_ image: Image) {
        let rgb = image.rgb8()
        var gray = [UInt8](repeating: 0, count: rgb.width * rgb.height)
        for i in 0..<gray.count {
            // ITU-R 601 luma, as Pillow's convert("L").
            let r = Int(rgb.pixels[3 * i]), g = Int(rgb.pixels[3 * i + 1]), b = Int(rgb.pixels[3 * i + 2])
            gray[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
        }
        let small = Image(width: rgb.width, height: rgb.height, channels: 1, pixels: gray)
            .resizedBicubic(width: 9, height: 8)
        var value: UInt64 = 0
        if small.pixels.count == 72 {
            for y in 0..<8 {
                for x in 0..<8 where small.pixels[y * 9 + x] > small.pixels[y * 9 + x + 1] {
                    value |= 1 << UInt64(y * 8 + x)
                }
            }
        }
        bits = value
    }

    /// Number of differing bits (0...64).
    public func distance(to other: PerceptualHash) -> Int { (bits ^ other.bits).nonzeroBitCount }

    public var description: String {
        let s = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

import Imaging

extension Image {
    /// The image as CHW floats in [-1, 1] (`v / 255` normalised with mean and
    /// std 0.5, as torchvision's `ToTensor` + `Normalize` compute it in float32).
    /// The image must be 8-bit RGB (see `rgb8()`).
    public func chwFloats() -> [Float] {
        sampleFloats(x: 0, y: 0, width: width, height: height, flip: false)
    }

    /// A `width` x `height` window at (`x`, `y`), optionally mirrored
    /// horizontally (crop then flip), as CHW floats in [-1, 1]. The window must
    /// lie inside the image; the image must be 8-bit RGB.
    func sampleFloats(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int, flip: Bool) -> [Float] {
        let plane = cropWidth * cropHeight
        var out = [Float](repeating: 0, count: 3 * plane)
        let rowStride = width * 3
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<cropHeight {
                    let srcRow = (y + row) * rowStride
                    for column in 0..<cropWidth {
                        let sx = x + (flip ? cropWidth - 1 - column : column)
                        let s = srcRow + sx * 3
                        let d = row * cropWidth + column
                        for channel in 0..<3 {
                            dst[channel * plane + d] = (Float(src[s + channel]) / 255 - 0.5) / 0.5
                        }
                    }
                }
            }
        }
        return out
    }

    /// An 8-bit RGB image from CHW floats in [-1, 1] (`(v + 1) / 2 * 255`,
    /// rounded and clamped). Nil when `values` is not `3 * width * height` long.
    public init?(chwFloats values: [Float], width: Int, height: Int) {
        let plane = width * height
        guard width > 0, height > 0, values.count == 3 * plane else { return nil }
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for channel in 0..<3 {
                let v = (values[channel * plane + i] + 1) / 2 * 255
                pixels[i * 3 + channel] = UInt8(max(0, min(255, v.isNaN ? 0 : v.rounded())))
            }
        }
        self.init(width: width, height: height, channels: 3, bitDepth: 8, pixels: pixels)
    }

    /// Images of one height placed side by side (left to right). Nil when empty or heights differ.
    public static func horizontalConcatenation(_ images: [Image]) -> Image? {
        guard let height = images.first?.height, images.allSatisfy({ $0.height == height && $0.channels == 3 }) else { return nil }
        let width = images.reduce(0) { $0 + $1.width }
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * 3)
        for row in 0..<height {
            for image in images {
                let start = row * image.width * 3
                pixels += image.pixels[start ..< start + image.width * 3]
            }
        }
        return Image(width: width, height: height, channels: 3, bitDepth: 8, pixels: pixels)
    }

    /// Images stacked top to bottom, each left-aligned on a black canvas as wide as the widest.
    public static func verticalConcatenation(_ images: [Image]) -> Image? {
        guard !images.isEmpty, images.allSatisfy({ $0.channels == 3 }) else { return nil }
        let width = images.map(\.width).max() ?? 0
        let height = images.reduce(0) { $0 + $1.height }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var top = 0
        for image in images {
            for row in 0..<image.height {
                let src = row * image.width * 3
                let dst = (top + row) * width * 3
                pixels.replaceSubrange(dst ..< dst + image.width * 3, with: image.pixels[src ..< src + image.width * 3])
            }
            top += image.height
        }
        return Image(width: width, height: height, channels: 3, bitDepth: 8, pixels: pixels)
    }
}

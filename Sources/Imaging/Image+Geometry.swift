extension Image {
    /// The `width` x `height` region whose top-left pixel is (`x`, `y`).
    ///
    /// The region is intersected with the image first, so a rectangle reaching
    /// outside yields only the overlapping part (an empty image if none).
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> Image {
        let x0 = max(0, min(self.width, x)), y0 = max(0, min(self.height, y))
        let x1 = max(x0, min(self.width, x + max(0, width))), y1 = max(y0, min(self.height, y + max(0, height)))
        let w = x1 - x0, h = y1 - y0
        let bpp = bytesPerPixel
        var out = [UInt8](repeating: 0, count: w * h * bpp)
        for row in 0..<h {
            let src = ((y0 + row) * self.width + x0) * bpp
            out.replaceSubrange((row * w * bpp)..<((row + 1) * w * bpp), with: pixels[src..<(src + w * bpp)])
        }
        return Image(width: w, height: h, channels: channels, bitDepth: bitDepth, pixels: out)
    }

    /// Mirrored left to right.
    public func flippedHorizontally() -> Image {
        remapped(width: width, height: height) { x, y in (width - 1 - x, y) }
    }

    /// Mirrored top to bottom.
    public func flippedVertically() -> Image {
        remapped(width: width, height: height) { x, y in (x, height - 1 - y) }
    }

    /// Rotated clockwise by a quarter turn (`quarterTurns` 0...3).
    public func rotatedClockwise(quarterTurns: Int) -> Image {
        switch ((quarterTurns % 4) + 4) % 4 {
        case 1: return remapped(width: height, height: width) { x, y in (y, height - 1 - x) }
        case 2: return remapped(width: width, height: height) { x, y in (width - 1 - x, height - 1 - y) }
        case 3: return remapped(width: height, height: width) { x, y in (width - 1 - y, x) }
        default: return self
        }
    }

    /// Mirrored across the main diagonal (rows become columns).
    public func transposed() -> Image {
        remapped(width: height, height: width) { x, y in (y, x) }
    }

    /// This image turned upright according to an EXIF orientation value (1...8),
    /// as Pillow's `ImageOps.exif_transpose` does; other values return it unchanged.
    public func oriented(exif orientation: Int) -> Image {
        switch orientation {
        case 2: return flippedHorizontally()
        case 3: return rotatedClockwise(quarterTurns: 2)
        case 4: return flippedVertically()
        case 5: return transposed()
        case 6: return rotatedClockwise(quarterTurns: 1)
        case 7: return remapped(width: height, height: width) { x, y in (width - 1 - y, height - 1 - x) }
        case 8: return rotatedClockwise(quarterTurns: 3)
        default: return self
        }
    }

    /// A `width` x `height` image whose pixel (x, y) is this image's pixel `source(x, y)`.
    private func remapped(width w: Int, height h: Int, _ source: (Int, Int) -> (Int, Int)) -> Image {
        let bpp = bytesPerPixel
        var out = [UInt8](repeating: 0, count: w * h * bpp)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        let (sx, sy) = source(x, y)
                        let s = (sy * width + sx) * bpp, d = (y * w + x) * bpp
                        for b in 0..<bpp { dst[d + b] = src[s + b] }
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: channels, bitDepth: bitDepth, pixels: out)
    }
}

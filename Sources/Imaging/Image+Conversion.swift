extension Image {
    /// This image as 3-channel 8-bit RGB, the form the trainer consumes.
    ///
    /// Gray is replicated into R, G and B; alpha is dropped without compositing
    /// (as Pillow's `convert("RGB")` does). 16-bit samples keep their high byte
    /// (`>> 8`), which is what Pillow does for 16-bit RGB(A) and gray+alpha PNGs;
    /// for 16-bit gray Pillow's `I;16 -> RGB` clips at 255 instead, which turns
    /// nearly every pixel white, so we deliberately scale there too.
    public func rgb8() -> Image {
        if channels == 3 && bitDepth == 8 { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * 3)
        let step = bytesPerSample  // the high byte comes first in big-endian samples
        let stride = bytesPerPixel
        let channels = self.channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let s = i * stride
                    if channels <= 2 {
                        let g = src[s]
                        dst[3 * i] = g
                        dst[3 * i + 1] = g
                        dst[3 * i + 2] = g
                    } else {
                        dst[3 * i] = src[s]
                        dst[3 * i + 1] = src[s + step]
                        dst[3 * i + 2] = src[s + 2 * step]
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: out)
    }

    /// This image with 8-bit samples (16-bit samples keep their high byte); 8-bit images are returned as they are.
    public func eightBit() -> Image {
        if bitDepth == 8 { return self }
        var out = [UInt8](repeating: 0, count: pixels.count / 2)
        for i in 0..<out.count { out[i] = pixels[2 * i] }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }
}

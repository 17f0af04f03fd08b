extension JPEGParser {
    /// Inverse-transforms, upsamples and color-converts the decoded coefficients.
    func render() throws(ImageError) -> Image {
        guard let frame else {
            throw .truncated(.jpeg, offset: data.count, expected: "a frame header (SOF marker)")
        }
        if let missing = frame.components.first(where: { !$0.seen }) {
            throw .malformed(.jpeg, offset: frame.offset, reason: "component \(missing.id) is never coded in a scan")
        }
        let width = frame.width, height = frame.height
        var planes: [[UInt8]] = []
        let workspace = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { workspace.deallocate() }
        for c in frame.components {
            let plane = JPEGUpsampler.Plane(
                samples: Self.inverseTransform(c, workspace: workspace), stride: c.blocksWide * 8,
                width: c.width, height: c.height)
            planes.append(JPEGUpsampler.upsample(plane, hx: frame.hmax / c.h, vy: frame.vmax / c.v,
                                                 outWidth: width, outHeight: height))
        }
        let count = width * height
        switch colorSpace() {
        case .gray:
            return Image(width: width, height: height, channels: 1, pixels: planes[0])
        case .yCbCr:
            return Image(width: width, height: height, channels: 3,
                         pixels: JPEGColorConverter.ycbcrToRGB(planes[0], planes[1], planes[2], count: count))
        case .rgb:
            var out = [UInt8](repeating: 0, count: count * 3)
            for i in 0..<count {
                out[3 * i] = planes[0][i]
                out[3 * i + 1] = planes[1][i]
                out[3 * i + 2] = planes[2][i]
            }
            return Image(width: width, height: height, channels: 3, pixels: out)
        case .cmyk, .ycck:
            let rgb = JPEGColorConverter.cmykToRGB(planes, ycck: colorSpace() == .ycck, inverted: adobeTransform != nil,
                                                   count: count)
            return Image(width: width, height: height, channels: 3, pixels: rgb)
        }
    }

    /// The component's samples, `blocksWide * 8` per row, `blocksHigh * 8` rows.
    static func inverseTransform(_ c: JPEGComponent, workspace: UnsafeMutablePointer<Int>) -> [UInt8] {
        let stride = c.blocksWide * 8
        var samples = [UInt8](repeating: 0, count: stride * c.blocksHigh * 8)
        let quant = c.quant ?? [Int32](repeating: 1, count: 64)
        quant.withUnsafeBufferPointer { q in
            JPEGIDCT.rangeLimit.withUnsafeBufferPointer { range in
                samples.withUnsafeMutableBufferPointer { out in
                    guard let quant = q.baseAddress, let base = out.baseAddress, let limit = range.baseAddress else { return }
                    for by in 0..<c.blocksHigh {
                        for bx in 0..<c.blocksWide {
                            JPEGIDCT.transform(c.block(row: by, column: bx), quant, base + by * 8 * stride + bx * 8,
                                               stride, workspace, limit)
                        }
                    }
                }
            }
        }
        return samples
    }
}

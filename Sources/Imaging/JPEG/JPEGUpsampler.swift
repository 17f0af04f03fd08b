/// Chroma upsampling as libjpeg-turbo's `jdsample.c` does it by default
/// (`do_fancy_upsampling`): triangle filters for 2:1 horizontal (h2v1),
/// 2:1 vertical (h1v2) and both (h2v2), with libjpeg's alternating rounding
/// biases; plain replication for other integer ratios and for components at
/// most 2 samples wide. Edge samples are replicated: the row above the first
/// is the first, rows past the component's height repeat its last row.
enum JPEGUpsampler {
    /// A component's samples: `width` x `height` valid samples in rows of `stride` bytes.
    struct Plane {
        var samples: [UInt8]
        var stride: Int
        var width: Int
        var height: Int
    }

    /// Upsamples `plane` by (`hx`, `vy`) into a `outWidth` x `outHeight` plane (stride `outWidth`).
    static func upsample(_ plane: Plane, hx: Int, vy: Int, outWidth: Int, outHeight: Int) -> [UInt8] {
        if hx == 1 && vy == 1 && plane.stride == outWidth && plane.samples.count >= outWidth * outHeight {
            // Full-resolution component whose rows are exactly the image's: no copy needed beyond the crop.
            return plane.samples.count == outWidth * outHeight ? plane.samples : Array(plane.samples[0..<(outWidth * outHeight)])
        }
        var out = [UInt8](repeating: 0, count: outWidth * outHeight)
        let w = plane.width, h = plane.height, stride = plane.stride
        plane.samples.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                @inline(__always) func row(_ r: Int) -> Int { max(0, min(h - 1, r)) * stride }
                switch (hx, vy) {
                case (1, 1):
                    for y in 0..<outHeight {
                        let r = row(y)
                        for x in 0..<outWidth { dst[y * outWidth + x] = src[r + x] }
                    }
                case (2, 1) where w > 2:
                    var line = [UInt8](repeating: 0, count: 2 * w)
                    for y in 0..<outHeight {
                        let r = row(y)
                        line[0] = src[r]
                        line[1] = UInt8((Int(src[r]) * 3 + Int(src[r + 1]) + 2) >> 2)
                        for i in 1..<(w - 1) {
                            let v = Int(src[r + i]) * 3
                            line[2 * i] = UInt8((v + Int(src[r + i - 1]) + 1) >> 2)
                            line[2 * i + 1] = UInt8((v + Int(src[r + i + 1]) + 2) >> 2)
                        }
                        line[2 * w - 2] = UInt8((Int(src[r + w - 1]) * 3 + Int(src[r + w - 2]) + 1) >> 2)
                        line[2 * w - 1] = src[r + w - 1]
                        for x in 0..<outWidth { dst[y * outWidth + x] = line[x] }
                    }
                case (1, 2):
                    for y in 0..<outHeight {
                        let near = row(y >> 1)
                        let isUpper = y & 1 == 0
                        let far = row(isUpper ? (y >> 1) - 1 : (y >> 1) + 1)
                        let bias = isUpper ? 1 : 2
                        for x in 0..<outWidth {
                            dst[y * outWidth + x] = UInt8((Int(src[near + x]) * 3 + Int(src[far + x]) + bias) >> 2)
                        }
                    }
                case (2, 2) where w > 2:
                    var sums = [Int](repeating: 0, count: w)
                    var line = [UInt8](repeating: 0, count: 2 * w)
                    for y in 0..<outHeight {
                        let near = row(y >> 1)
                        let far = row(y & 1 == 0 ? (y >> 1) - 1 : (y >> 1) + 1)
                        for i in 0..<w { sums[i] = Int(src[near + i]) * 3 + Int(src[far + i]) }
                        line[0] = UInt8((sums[0] * 4 + 8) >> 4)
                        line[1] = UInt8((sums[0] * 3 + sums[1] + 7) >> 4)
                        for i in 1..<(w - 1) {
                            line[2 * i] = UInt8((sums[i] * 3 + sums[i - 1] + 8) >> 4)
                            line[2 * i + 1] = UInt8((sums[i] * 3 + sums[i + 1] + 7) >> 4)
                        }
                        line[2 * w - 2] = UInt8((sums[w - 1] * 3 + sums[w - 2] + 8) >> 4)
                        line[2 * w - 1] = UInt8((sums[w - 1] * 4 + 7) >> 4)
                        for x in 0..<outWidth { dst[y * outWidth + x] = line[x] }
                    }
                default:
                    // Box replication (libjpeg's int_upsample / h2v1_upsample / h2v2_upsample).
                    for y in 0..<outHeight {
                        let r = row(y / vy)
                        for x in 0..<outWidth { dst[y * outWidth + x] = src[r + min(w - 1, x / hx)] }
                    }
                }
            }
        }
        return out
    }
}

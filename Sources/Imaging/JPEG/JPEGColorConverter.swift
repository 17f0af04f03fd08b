/// YCbCr -> RGB with libjpeg's fixed-point tables (`jdcolor.c`, 16 fractional bits):
///   R = Y + 1.402 (Cr - 128)
///   G = Y - 0.34414 (Cb - 128) - 0.71414 (Cr - 128)
///   B = Y + 1.772 (Cb - 128)
/// each term rounded as libjpeg rounds it, then clamped to 0...255.
enum JPEGColorConverter {
    private static let scaleBits = 16
    private static let half = 1 << 15
    private static func fix(_ x: Double) -> Int { Int(x * 65536 + 0.5) }

    static let crToR: [Int] = (0..<256).map { (fix(1.40200) * ($0 - 128) + half) >> scaleBits }
    static let cbToB: [Int] = (0..<256).map { (fix(1.77200) * ($0 - 128) + half) >> scaleBits }
    static let crToG: [Int] = (0..<256).map { -fix(0.71414) * ($0 - 128) }
    static let cbToG: [Int] = (0..<256).map { -fix(0.34414) * ($0 - 128) + half }

    @inline(__always) static func clamp(_ v: Int) -> UInt8 { UInt8(max(0, min(255, v))) }

    /// Interleaved RGB from three full-resolution planes of `count` samples.
    static func ycbcrToRGB(_ y: [UInt8], _ cb: [UInt8], _ cr: [UInt8], count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count * 3)
        crToR.withUnsafeBufferPointer { crR in
            cbToB.withUnsafeBufferPointer { cbB in
                crToG.withUnsafeBufferPointer { crG in
                    cbToG.withUnsafeBufferPointer { cbG in
                        out.withUnsafeMutableBufferPointer { o in
                            for i in 0..<count {
                                let luma = Int(y[i]), b = Int(cb[i]), r = Int(cr[i])
                                o[3 * i] = clamp(luma + crR[r])
                                o[3 * i + 1] = clamp(luma + ((cbG[b] + crG[r]) >> scaleBits))
                                o[3 * i + 2] = clamp(luma + cbB[b])
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// RGB from Adobe-style CMYK or YCCK planes (stored inverted, as Photoshop writes them),
    /// multiplying each inverted ink by the inverted black, as Pillow's CMYK -> RGB does.
    static func cmykToRGB(_ planes: [[UInt8]], ycck: Bool, inverted: Bool, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            var c = Int(planes[0][i]), m = Int(planes[1][i]), y = Int(planes[2][i])
            var k = Int(planes[3][i])
            if ycck {
                // YCC -> RGB gives the (inverted) CMY inks.
                let luma = c, b = m, r = y
                c = Int(clamp(luma + crToR[r]))
                m = Int(clamp(luma + ((cbToG[b] + crToG[r]) >> scaleBits)))
                y = Int(clamp(luma + cbToB[b]))
            }
            if !inverted {
                c = 255 - c
                m = 255 - m
                y = 255 - y
                k = 255 - k
            }
            // c, m, y, k now hold 255 - ink: the remaining light.
            @inline(__always) func mul255(_ a: Int, _ b: Int) -> UInt8 {
                let t = a * b + 128
                return UInt8(((t >> 8) + t) >> 8)
            }
            out[3 * i] = mul255(c, k)
            out[3 * i + 1] = mul255(m, k)
            out[3 * i + 2] = mul255(y, k)
        }
        return out
    }
}

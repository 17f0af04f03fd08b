/// The accurate integer inverse DCT of the IJG code ("islow", libjpeg-turbo's
/// default), re-implemented from its description: the Loeffler-Ligtenberg-
/// Moschytz 1-D IDCT with 13-bit fixed-point constants, a column pass keeping
/// 2 extra bits, a row pass, and libjpeg's range-limit table (values wrap
/// modulo 1024 before clamping, as the C table lookup does).
enum JPEGIDCT {
    private static let constBits = 13
    private static let pass1Bits = 2
    private static let fix0_298631336 = 2446
    private static let fix0_390180644 = 3196
    private static let fix0_541196100 = 4433
    private static let fix0_765366865 = 6270
    private static let fix0_899976223 = 7373
    private static let fix1_175875602 = 9633
    private static let fix1_501321110 = 12299
    private static let fix1_847759065 = 15137
    private static let fix1_961570560 = 16069
    private static let fix2_053119869 = 16819
    private static let fix2_562915447 = 20995
    private static let fix3_072711026 = 25172

    /// Output sample for an IDCT value `x` (before the +128 level shift), indexed by `x & 1023`.
    static let rangeLimit: [UInt8] = (0..<1024).map { i in
        let v = ((i + 512) & 1023) - 512 + 128
        return UInt8(max(0, min(255, v)))
    }

    /// The 1-D 8-point IDCT of both passes, before descaling: outputs 0...7 scaled by 2^constBits.
    @inline(__always)
    private static func idct8(_ x0: Int, _ x1: Int, _ x2: Int, _ x3: Int, _ x4: Int, _ x5: Int, _ x6: Int, _ x7: Int)
        -> (Int, Int, Int, Int, Int, Int, Int, Int)
    {
        let cb = constBits
        // Even part: inputs 0, 2, 4, 6.
        let z1e = (x2 + x6) * fix0_541196100
        let e2 = z1e + x6 * -fix1_847759065
        let e3 = z1e + x2 * fix0_765366865
        let e0 = (x0 + x4) << cb
        let e1 = (x0 - x4) << cb
        let tmp10 = e0 + e3, tmp13 = e0 - e3
        let tmp11 = e1 + e2, tmp12 = e1 - e2
        // Odd part: inputs 7, 5, 3, 1.
        var z1 = x7 + x1
        var z2 = x5 + x3
        var z3 = x7 + x3
        var z4 = x5 + x1
        let z5 = (z3 + z4) * fix1_175875602
        var tmp0 = x7 * fix0_298631336
        var tmp1 = x5 * fix2_053119869
        var tmp2 = x3 * fix3_072711026
        var tmp3 = x1 * fix1_501321110
        z1 *= -fix0_899976223
        z2 *= -fix2_562915447
        z3 = z3 * -fix1_961570560 + z5
        z4 = z4 * -fix0_390180644 + z5
        tmp0 += z1 + z3
        tmp1 += z2 + z4
        tmp2 += z2 + z3
        tmp3 += z1 + z4
        return (tmp10 + tmp3, tmp11 + tmp2, tmp12 + tmp1, tmp13 + tmp0,
                tmp13 - tmp0, tmp12 - tmp1, tmp11 - tmp2, tmp10 - tmp3)
    }

    /// Dequantizes and inverse-transforms one block into 8x8 samples at `out` (row stride `stride`).
    /// `workspace` must hold 64 `Int`s.
    @inline(__always)
    static func transform(_ coefficients: UnsafePointer<Int16>, _ quant: UnsafePointer<Int32>,
                          _ out: UnsafeMutablePointer<UInt8>, _ stride: Int,
                          _ workspace: UnsafeMutablePointer<Int>, _ range: UnsafePointer<UInt8>)
    {
        let cb = constBits, p1 = pass1Bits
        // Pass 1: columns, results scaled up by 2^pass1Bits.
        let shift1 = cb - p1, round1 = 1 << (shift1 - 1)
        for col in 0..<8 {
            @inline(__always) func dq(_ row: Int) -> Int { Int(coefficients[row * 8 + col]) * Int(quant[row * 8 + col]) }
            if coefficients[8 + col] == 0 && coefficients[16 + col] == 0 && coefficients[24 + col] == 0
                && coefficients[32 + col] == 0 && coefficients[40 + col] == 0 && coefficients[48 + col] == 0
                && coefficients[56 + col] == 0
            {
                let dc = dq(0) << p1
                for row in 0..<8 { workspace[row * 8 + col] = dc }
                continue
            }
            let y = idct8(dq(0), dq(1), dq(2), dq(3), dq(4), dq(5), dq(6), dq(7))
            workspace[col] = (y.0 + round1) >> shift1
            workspace[8 + col] = (y.1 + round1) >> shift1
            workspace[16 + col] = (y.2 + round1) >> shift1
            workspace[24 + col] = (y.3 + round1) >> shift1
            workspace[32 + col] = (y.4 + round1) >> shift1
            workspace[40 + col] = (y.5 + round1) >> shift1
            workspace[48 + col] = (y.6 + round1) >> shift1
            workspace[56 + col] = (y.7 + round1) >> shift1
        }
        // Pass 2: rows, descaled by 2^(constBits + pass1Bits + 3) (the 3 undoes the factor 8).
        let shift = cb + p1 + 3, round = 1 << (shift - 1)
        for row in 0..<8 {
            let w = workspace + row * 8
            let o = out + row * stride
            if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
                let v = range[((w[0] + (1 << (p1 + 2))) >> (p1 + 3)) & 1023]
                for i in 0..<8 { o[i] = v }
                continue
            }
            let y = idct8(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
            o[0] = range[((y.0 + round) >> shift) & 1023]
            o[1] = range[((y.1 + round) >> shift) & 1023]
            o[2] = range[((y.2 + round) >> shift) & 1023]
            o[3] = range[((y.3 + round) >> shift) & 1023]
            o[4] = range[((y.4 + round) >> shift) & 1023]
            o[5] = range[((y.5 + round) >> shift) & 1023]
            o[6] = range[((y.6 + round) >> shift) & 1023]
            o[7] = range[((y.7 + round) >> shift) & 1023]
        }
    }
}

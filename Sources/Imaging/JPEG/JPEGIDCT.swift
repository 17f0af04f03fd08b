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

    /// Dequantizes and inverse-transforms one block into 8x8 samples at `out` (row stride `stride`).
    /// `workspace` must hold 64 `Int`s.
    @inline(__always)
    static func transform(_ coefficients: UnsafePointer<Int16>, _ quant: UnsafePointer<Int32>,
                          _ out: UnsafeMutablePointer<UInt8>, _ stride: Int,
                          _ workspace: UnsafeMutablePointer<Int>, _ range: UnsafePointer<UInt8>)
    {
        let cb = constBits, p1 = pass1Bits
        // Pass 1: columns, results scaled up by 2^pass1Bits.
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
            // Even part.
            var z2 = dq(2), z3 = dq(6)
            var z1 = (z2 + z3) * fix0_541196100
            var tmp2 = z1 + z3 * -fix1_847759065
            var tmp3 = z1 + z2 * fix0_765366865
            z2 = dq(0)
            z3 = dq(4)
            var tmp0 = (z2 + z3) << cb
            var tmp1 = (z2 - z3) << cb
            let tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3
            let tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2
            // Odd part.
            tmp0 = dq(7)
            tmp1 = dq(5)
            tmp2 = dq(3)
            tmp3 = dq(1)
            z1 = tmp0 + tmp3
            z2 = tmp1 + tmp2
            z3 = tmp0 + tmp2
            var z4 = tmp1 + tmp3
            let z5 = (z3 + z4) * fix1_175875602
            tmp0 *= fix0_298631336
            tmp1 *= fix2_053119869
            tmp2 *= fix3_072711026
            tmp3 *= fix1_501321110
            z1 *= -fix0_899976223
            z2 *= -fix2_562915447
            z3 = z3 * -fix1_961570560 + z5
            z4 = z4 * -fix0_390180644 + z5
            tmp0 += z1 + z3
            tmp1 += z2 + z4
            tmp2 += z2 + z3
            tmp3 += z1 + z4
            let shift = cb - p1, round = 1 << (shift - 1)
            workspace[col] = (tmp10 + tmp3 + round) >> shift
            workspace[56 + col] = (tmp10 - tmp3 + round) >> shift
            workspace[8 + col] = (tmp11 + tmp2 + round) >> shift
            workspace[48 + col] = (tmp11 - tmp2 + round) >> shift
            workspace[16 + col] = (tmp12 + tmp1 + round) >> shift
            workspace[40 + col] = (tmp12 - tmp1 + round) >> shift
            workspace[24 + col] = (tmp13 + tmp0 + round) >> shift
            workspace[32 + col] = (tmp13 - tmp0 + round) >> shift
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
            var z2 = w[2], z3 = w[6]
            var z1 = (z2 + z3) * fix0_541196100
            var tmp2 = z1 + z3 * -fix1_847759065
            var tmp3 = z1 + z2 * fix0_765366865
            var tmp0 = (w[0] + w[4]) << cb
            var tmp1 = (w[0] - w[4]) << cb
            let tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3
            let tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2
            tmp0 = w[7]
            tmp1 = w[5]
            tmp2 = w[3]
            tmp3 = w[1]
            z1 = tmp0 + tmp3
            z2 = tmp1 + tmp2
            z3 = tmp0 + tmp2
            var z4 = tmp1 + tmp3
            let z5 = (z3 + z4) * fix1_175875602
            tmp0 *= fix0_298631336
            tmp1 *= fix2_053119869
            tmp2 *= fix3_072711026
            tmp3 *= fix1_501321110
            z1 *= -fix0_899976223
            z2 *= -fix2_562915447
            z3 = z3 * -fix1_961570560 + z5
            z4 = z4 * -fix0_390180644 + z5
            tmp0 += z1 + z3
            tmp1 += z2 + z4
            tmp2 += z2 + z3
            tmp3 += z1 + z4
            o[0] = range[((tmp10 + tmp3 + round) >> shift) & 1023]
            o[7] = range[((tmp10 - tmp3 + round) >> shift) & 1023]
            o[1] = range[((tmp11 + tmp2 + round) >> shift) & 1023]
            o[6] = range[((tmp11 - tmp2 + round) >> shift) & 1023]
            o[2] = range[((tmp12 + tmp1 + round) >> shift) & 1023]
            o[5] = range[((tmp12 - tmp1 + round) >> shift) & 1023]
            o[3] = range[((tmp13 + tmp0 + round) >> shift) & 1023]
            o[4] = range[((tmp13 - tmp0 + round) >> shift) & 1023]
        }
    }
}

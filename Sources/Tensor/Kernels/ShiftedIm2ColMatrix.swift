/// An im2col matrix whose kernel taps read shifted (and possibly different) planes at stride 1:
/// row `(c, th, tw)`, column `(q, r)` (over `outHeight x outWidth`) holds
/// `image[c * channelStride + offsetH[th] + offsetW[tw] + (q + shiftH[th]) * width + r + shiftW[tw]]`,
/// or 0 when `q + shiftH[th]` is outside `0..<height` or `r + shiftW[tw]` outside `0..<width`.
///
/// Every row is a run of contiguous image rows, so the GEMM packs it with plain vector copies. It
/// describes the stride-s convolutions of `StridedConv`: the forward pass over the input split into
/// its s x s stride phases (a tap's plane is its phase), and each output phase of the input grad
/// (a stride-1 correlation of dy with the taps that land on that phase).
struct ShiftedIm2ColMatrix: MatrixSource, @unchecked Sendable {
    let image: UnsafeMutablePointer<Float>
    /// Floats between consecutive channels of `image`.
    let channelStride: Int
    /// Size of one plane (rows of `width` floats).
    let height: Int
    let width: Int
    /// The columns are `outHeight x outWidth` positions.
    let outHeight: Int
    let outWidth: Int
    /// Per vertical tap `th`: the plane offset (floats) and the row shift.
    let offsetH: [Int]
    let shiftH: [Int]
    /// Per horizontal tap `tw`: the plane offset (floats) and the column shift.
    let offsetW: [Int]
    let shiftW: [Int]

    /// Rows: channels * taps.
    var tapCount: Int { offsetH.count * offsetW.count }

    var prefersRowCopies: Bool { true }

    /// The plane a row reads, its shifts, and the output columns `[low, high)` inside the image.
    @inline(__always)
    private func locate(_ row: Int) -> (plane: UnsafeMutablePointer<Float>, dh: Int, dw: Int, low: Int, high: Int) {
        let taps = tapCount, tapsW = offsetW.count
        let c = row / taps
        let th = (row - c * taps) / tapsW
        let tw = row - c * taps - th * tapsW
        let dw = shiftW[tw]
        let low = Swift.min(outWidth, Swift.max(0, -dw))
        let high = Swift.max(low, Swift.min(outWidth, width - dw))
        return (image + c * channelStride + offsetH[th] + offsetW[tw], shiftH[th], dw, low, high)
    }

    func copyRow(_ row: Int, columns start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        let (plane, dh, dw, low, high) = locate(row)
        var pixel = start
        let end = start + count
        var out = dst
        var q = pixel / outWidth
        var r = pixel - q * outWidth
        while pixel < end {
            let run = Swift.min(end - pixel, outWidth - r)
            let ih = q + dh
            if ih < 0 || ih >= height {
                for t in 0..<run { out[t &* stride] = 0 }
            } else {
                let a = Swift.min(Swift.max(low, r), r + run)
                let b = Swift.max(Swift.min(high, r + run), a)
                for t in 0..<(a - r) { out[t &* stride] = 0 }
                if b > a {
                    stridedCopy(from: plane + ih * width + a + dw, stride: 1, to: out + (a - r) * stride, stride: stride, count: b - a)
                }
                for t in (b - r)..<run { out[t &* stride] = 0 }
            }
            pixel += run
            out += run * stride
            q += 1
            r = 0
        }
    }

    func copyColumn(_ column: Int, rows start: Int, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int) {
        let q = column / outWidth
        let r = column - q * outWidth
        let taps = tapCount, tapsW = offsetW.count
        for t in 0..<count {
            let row = start + t
            let c = row / taps
            let th = (row - c * taps) / tapsW
            let tw = row - c * taps - th * tapsW
            let ih = q + shiftH[th], iw = r + shiftW[tw]
            if ih >= 0, ih < height, iw >= 0, iw < width {
                dst[t * stride] = image[c * channelStride + offsetH[th] + offsetW[tw] + ih * width + iw]
            } else {
                dst[t * stride] = 0
            }
        }
    }
}

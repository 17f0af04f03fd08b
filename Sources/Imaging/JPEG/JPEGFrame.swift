#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One color component of a JPEG frame and its DCT coefficients.
final class JPEGComponent {
    let id: Int
    /// Horizontal and vertical sampling factors (1...4).
    let h: Int, v: Int
    /// Quantization table selector.
    let quantSelector: Int
    /// Samples of this component in the image: ceil(width * h / hmax) x ceil(height * v / vmax).
    let width: Int, height: Int
    /// Blocks holding real samples.
    let blocksWide: Int, blocksHigh: Int
    /// Blocks allocated: a whole number of MCUs (interleaved scans cover MCU padding blocks too).
    let stride: Int, rows: Int
    /// `stride * rows` blocks of 64 coefficients, row-major blocks, natural (not zigzag) order.
    let coefficients: UnsafeMutablePointer<Int16>
    /// Quantization table latched when the component first appears in a scan (natural order).
    var quant: [Int32]? = nil
    /// Whether a scan has covered this component.
    var seen = false

    /// `nil` when the coefficient memory cannot be allocated.
    init?(id: Int, h: Int, v: Int, quantSelector: Int, frameWidth: Int, frameHeight: Int, hmax: Int, vmax: Int,
          mcusWide: Int, mcusHigh: Int)
    {
        self.id = id
        self.h = h
        self.v = v
        self.quantSelector = quantSelector
        width = (frameWidth * h + hmax - 1) / hmax
        height = (frameHeight * v + vmax - 1) / vmax
        blocksWide = (width + 7) / 8
        blocksHigh = (height + 7) / 8
        stride = mcusWide * h
        rows = mcusHigh * v
        // calloc: large blocks come from the kernel already zeroed and untouched, so a corrupt
        // header declaring a huge frame costs little until (and unless) data fills it.
        guard let raw = calloc(stride * rows * 64, MemoryLayout<Int16>.stride) else { return nil }
        coefficients = raw.bindMemory(to: Int16.self, capacity: stride * rows * 64)
    }

    deinit { free(coefficients) }

    @inline(__always) func block(row: Int, column: Int) -> UnsafeMutablePointer<Int16> {
        coefficients + (row * stride + column) * 64
    }
}

/// The frame header (SOF) facts.
struct JPEGFrame {
    var progressive: Bool
    var width: Int
    var height: Int
    var components: [JPEGComponent]
    var hmax: Int
    var vmax: Int
    var mcusWide: Int
    var mcusHigh: Int
    /// Offset of the SOF marker.
    var offset: Int
}

/// How the components are to be turned into RGB or gray.
enum JPEGColorSpace: String, Sendable, Equatable {
    case gray = "grayscale"
    case yCbCr = "YCbCr"
    case rgb = "RGB"
    case cmyk = "CMYK"
    case ycck = "YCCK"
}

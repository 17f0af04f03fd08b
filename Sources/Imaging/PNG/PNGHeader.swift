/// The facts of a PNG's IHDR chunk.
public struct PNGHeader: Sendable, Equatable {
    /// Color type: 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA.
    public var colorType: Int
    /// Bits per sample (per palette index for color type 3): 1, 2, 4, 8 or 16.
    public var bitDepth: Int
    public var width: Int
    public var height: Int
    /// Adam7 interlacing.
    public var interlaced: Bool

    /// Samples per pixel as stored (a palette index counts as one).
    var storedChannels: Int {
        switch colorType {
        case 2: return 3
        case 4: return 2
        case 6: return 4
        default: return 1
        }
    }

    /// Bytes of one unfiltered row of `width` pixels.
    func rowBytes(width: Int) -> Int { (width * storedChannels * bitDepth + 7) / 8 }

    /// Bytes per complete pixel for filtering (at least 1).
    var filterStride: Int { max(1, storedChannels * bitDepth / 8) }

    /// A human name of the color type.
    public var colorTypeName: String {
        switch colorType {
        case 0: return "gray"
        case 2: return "RGB"
        case 3: return "palette"
        case 4: return "gray+alpha"
        case 6: return "RGBA"
        default: return "color type \(colorType)"
        }
    }

    static func validate(colorType: Int, bitDepth: Int) -> Bool {
        switch colorType {
        case 0: return [1, 2, 4, 8, 16].contains(bitDepth)
        case 3: return [1, 2, 4, 8].contains(bitDepth)
        case 2, 4, 6: return bitDepth == 8 || bitDepth == 16
        default: return false
        }
    }
}

/// The Adam7 passes: origin and step of each.
enum Adam7 {
    static let passes: [(x: Int, y: Int, dx: Int, dy: Int)] = [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ]

    /// Size of pass `p` of a `width` x `height` image.
    static func size(pass p: Int, width: Int, height: Int) -> (width: Int, height: Int) {
        let pass = passes[p]
        let w = width > pass.x ? (width - pass.x + pass.dx - 1) / pass.dx : 0
        let h = height > pass.y ? (height - pass.y + pass.dy - 1) / pass.dy : 0
        return (w, h)
    }
}

import Imaging

/// A grid of thumbnails with a label per row, for eyeballing a dataset.
public struct ContactSheet {
    /// Thumbnail width and height in pixels.
    public var thumbnailSize: Int
    /// Pixels between thumbnails and around the sheet.
    public var gap = 4
    private var rows: [(label: String, images: [Image])] = []

    public init(thumbnailSize: Int = 64) { self.thumbnailSize = thumbnailSize }

    /// Adds a row: `images` are center-cropped to squares and resized to thumbnails.
    public mutating func addRow(label: String, images: [Image]) {
        rows.append((label, images.map { Self.thumbnail($0, size: thumbnailSize) }))
    }

    /// `image` center-cropped to a square and resized to `size` x `size` RGB.
    public static func thumbnail(_ image: Image, size: Int) -> Image {
        let rgb = image.rgb8()
        let side = min(rgb.width, rgb.height)
        guard side > 0 else { return Image(width: size, height: size, channels: 3) }
        return rgb.cropped(x: (rgb.width - side) / 2, y: (rgb.height - side) / 2, width: side, height: side)
            .resizedBicubic(width: size, height: size)
    }

    /// The sheet: one row per ``addRow(label:images:)``, labels at the left.
    public func render() -> Image {
        let labelWidth = (rows.map(\.label.count).max() ?? 0) * (TinyFont.advance) + gap
        let columns = max(1, rows.map(\.images.count).max() ?? 1)
        let width = gap + labelWidth + columns * (thumbnailSize + gap)
        let height = gap + max(1, rows.count) * (thumbnailSize + gap)
        var sheet = Image(width: width, height: height, channels: 3,
                          pixels: [UInt8](repeating: 40, count: width * height * 3))
        for (r, row) in rows.enumerated() {
            let top = gap + r * (thumbnailSize + gap)
            TinyFont.draw(row.label, into: &sheet, x: gap, y: top + (thumbnailSize - TinyFont.height) / 2)
            for (c, thumb) in row.images.enumerated() {
                let left = gap + labelWidth + c * (thumbnailSize + gap)
                for y in 0..<thumb.height {
                    let src = y * thumb.width * 3, dst = ((top + y) * width + left) * 3
                    sheet.pixels.replaceSubrange(dst..<(dst + thumb.width * 3), with: thumb.pixels[src..<(src + thumb.width * 3)])
                }
            }
        }
        return sheet
    }
}

/// A 5x7 pixel font for labels: letters, digits and a few signs; other characters show as blanks.
enum TinyFont {
    static let height = 7
    static let advance = 6

    /// Rows of 5 bits, top to bottom, most significant bit at the left.
    static let glyphs: [Character: [UInt8]] = [
        "a": [0, 0, 14, 1, 15, 17, 15], "b": [16, 16, 30, 17, 17, 17, 30], "c": [0, 0, 14, 16, 16, 17, 14],
        "d": [1, 1, 15, 17, 17, 17, 15], "e": [0, 0, 14, 17, 31, 16, 14], "f": [6, 9, 8, 28, 8, 8, 8],
        "g": [0, 15, 17, 17, 15, 1, 14], "h": [16, 16, 22, 25, 17, 17, 17], "i": [4, 0, 12, 4, 4, 4, 14],
        "j": [2, 0, 6, 2, 2, 18, 12], "k": [16, 16, 18, 20, 24, 20, 18], "l": [12, 4, 4, 4, 4, 4, 14],
        "m": [0, 0, 26, 21, 21, 17, 17], "n": [0, 0, 22, 25, 17, 17, 17], "o": [0, 0, 14, 17, 17, 17, 14],
        "p": [0, 0, 30, 17, 30, 16, 16], "q": [0, 0, 13, 19, 15, 1, 1], "r": [0, 0, 22, 25, 16, 16, 16],
        "s": [0, 0, 14, 16, 14, 1, 30], "t": [8, 8, 28, 8, 8, 9, 6], "u": [0, 0, 17, 17, 17, 19, 13],
        "v": [0, 0, 17, 17, 17, 10, 4], "w": [0, 0, 17, 17, 21, 21, 10], "x": [0, 0, 17, 10, 4, 10, 17],
        "y": [0, 0, 17, 17, 15, 1, 14], "z": [0, 0, 31, 2, 4, 8, 31],
        "A": [14, 17, 17, 31, 17, 17, 17], "B": [30, 17, 17, 30, 17, 17, 30], "C": [14, 17, 16, 16, 16, 17, 14],
        "D": [28, 18, 17, 17, 17, 18, 28], "E": [31, 16, 16, 30, 16, 16, 31], "F": [31, 16, 16, 30, 16, 16, 16],
        "0": [14, 17, 19, 21, 25, 17, 14], "1": [4, 12, 4, 4, 4, 4, 14], "2": [14, 17, 1, 2, 4, 8, 31],
        "3": [31, 2, 4, 2, 1, 17, 14], "4": [2, 6, 10, 18, 31, 2, 2], "5": [31, 16, 30, 1, 1, 17, 14],
        "6": [6, 8, 16, 30, 17, 17, 14], "7": [31, 1, 2, 4, 8, 8, 8], "8": [14, 17, 17, 14, 17, 17, 14],
        "9": [14, 17, 17, 15, 1, 2, 12], "_": [0, 0, 0, 0, 0, 0, 31], "-": [0, 0, 0, 31, 0, 0, 0],
        "/": [1, 1, 2, 4, 8, 16, 16], ".": [0, 0, 0, 0, 0, 12, 12],
    ]

    /// Draws `text` in light gray with its top-left corner at (`x`, `y`), clipped to the image.
    static func draw(_ text: String, into image: inout Image, x: Int, y: Int) {
        for (i, ch) in text.enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for c in 0..<5 where bits & (16 >> UInt8(c)) != 0 {
                    let px = x + i * advance + c, py = y + r
                    guard px >= 0, py >= 0, px < image.width, py < image.height else { continue }
                    let o = (py * image.width + px) * image.channels
                    for k in 0..<min(3, image.channels) { image.pixels[o + k] = 230 }
                }
            }
        }
    }
}

import Foundation

/// Writes images to files, choosing the format from the extension.
public enum ImageWriter {
    /// The bytes for a file named `path`: `.png` (level 6), `.jpg`/`.jpeg` (baseline, `jpegQuality`),
    /// or `.raw` (the samples as they are: interleaved, row-major, 16-bit big-endian).
    /// - Throws: ``ImageError/unwritableFile(path:reason:)`` for any other extension.
    public static func encode(_ image: Image, forPath path: String, jpegQuality: Int = 90) throws(ImageError) -> [UInt8] {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": return PNGEncoder.encode(image)
        case "jpg", "jpeg": return JPEGEncoder.encode(image, quality: jpegQuality)
        case "raw": return image.pixels
        default: throw .unwritableFile(path: path, reason: "unknown extension (use .png, .jpg or .raw)")
        }
    }

    /// Encodes `image` by the extension of `path` and writes it.
    public static func write(_ image: Image, to path: String, jpegQuality: Int = 90) throws(ImageError) {
        let bytes = try encode(image, forPath: path, jpegQuality: jpegQuality)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritableFile(path: path, reason: error.localizedDescription)
        }
    }
}

import Foundation

/// Decodes JPEG and PNG images, sniffing the format from the signature.
public enum ImageCodec {
    /// Decoders refuse headers declaring more pixels than this (about 134 million),
    /// so corrupt sizes cannot exhaust memory.
    public static let defaultMaxPixels = 1 << 27

    /// Decodes a JPEG or PNG held in memory.
    ///
    /// JPEGs are decoded as libjpeg-turbo does by default (Pillow's pixels) and
    /// turned upright by their EXIF orientation; see ``PNGDecoder`` for how PNG
    /// color types map to channels.
    /// - Throws: ``ImageError`` naming what is wrong and the byte offset.
    public static func decode(_ bytes: [UInt8]) throws(ImageError) -> Image {
        try decode(bytes, maxPixels: defaultMaxPixels, applyOrientation: true)
    }

    /// Decodes with explicit limits: `maxPixels` caps width x height;
    /// `applyOrientation: false` keeps JPEG pixels in stored order, as Pillow's
    /// `Image.open` does without `ImageOps.exif_transpose`.
    public static func decode(_ bytes: [UInt8], maxPixels: Int, applyOrientation: Bool) throws(ImageError) -> Image {
        switch ImageFormat.sniff(bytes) {
        case .jpeg:
            return try JPEGDecoder.decode(bytes, maxPixels: maxPixels, applyOrientation: applyOrientation)
        case .png:
            return try PNGDecoder.decode(bytes, maxPixels: maxPixels)
        case nil:
            throw .unknownFormat(firstBytes: Array(bytes.prefix(8)))
        }
    }

    /// Reads and decodes the file at `path`.
    /// - Throws: ``ImageError/inFile(path:_:)`` wrapping the decode error, or
    ///   ``ImageError/unreadableFile(path:reason:)``; both name the file.
    public static func decode(file path: String) throws(ImageError) -> Image {
        let bytes = try readFile(path)
        do {
            return try decode(bytes)
        } catch {
            throw .inFile(path: path, error)
        }
    }

    /// The bytes of the file at `path`.
    public static func readFile(_ path: String) throws(ImageError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadableFile(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .unreadableFile(path: path, reason: "is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadableFile(path: path, reason: "permission denied or I/O error")
        }
        return [UInt8](data)
    }
}

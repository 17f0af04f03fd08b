/// JPEG decoding (being written).
enum JPEGDecoder {
    static func decode(_ bytes: [UInt8], maxPixels: Int, applyOrientation: Bool) throws(ImageError) -> Image {
        throw .unsupported(.jpeg, offset: 0, feature: "JPEG decoding is not implemented yet")
    }
}

import Imaging
import Tensor

/// Which generator to apply.
public enum TranslationDirection: String, Sendable, CaseIterable {
    case aToB = "AtoB"
    case bToA = "BtoA"
}

/// Applies a trained generator to whole images of any size.
///
/// The generator halves the resolution twice, so sides must be multiples of 4:
/// other images are reflection-padded on the right and bottom to the next
/// multiple of 4, translated, and cropped back, so the output has the input's size.
public enum Translator {
    /// The translation of `image` (any channels/bit depth; converted to 8-bit RGB) by `generator`.
    public static func translate(_ image: Image, with generator: ResnetGenerator) throws(CycleGANError) -> Image {
        let rgb = image.rgb8()
        let (width, height) = (rgb.width, rgb.height)
        guard width >= 4, height >= 4 else {
            throw .invalidBatch("images must be at least 4x4 pixels, got \(width)x\(height)")
        }
        let paddedWidth = (width + 3) / 4 * 4
        let paddedHeight = (height + 3) / 4 * 4
        let values = padReflect(rgb.chwFloats(), width: width, height: height, toWidth: paddedWidth, toHeight: paddedHeight)
        let input: Tensor
        do {
            input = try Tensor(shape: [1, 3, paddedHeight, paddedWidth], scalars: values)
        } catch {
            throw .tensor(error)
        }
        let output = try Inference.run { try generator(input) }
        let cropped = crop(output.scalars, width: paddedWidth, height: paddedHeight, toWidth: width, toHeight: height)
        guard let result = Image(chwFloats: cropped, width: width, height: height) else {
            throw .invalidBatch("the generator returned \(output.shape) for a \(paddedWidth)x\(paddedHeight) input")
        }
        return result
    }

    /// CHW planes extended right and bottom by mirroring (without repeating the edge), as reflection padding does.
    static func padReflect(_ values: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int) -> [Float] {
        if width == toWidth && height == toHeight { return values }
        func reflect(_ i: Int, _ n: Int) -> Int { i < n ? i : max(0, 2 * (n - 1) - i) }
        var out = [Float](repeating: 0, count: 3 * toWidth * toHeight)
        for c in 0..<3 {
            for y in 0..<toHeight {
                let sy = reflect(y, height)
                for x in 0..<toWidth {
                    out[(c * toHeight + y) * toWidth + x] = values[(c * height + sy) * width + reflect(x, width)]
                }
            }
        }
        return out
    }

    static func crop(_ values: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int) -> [Float] {
        if width == toWidth && height == toHeight { return values }
        var out = [Float](repeating: 0, count: 3 * toWidth * toHeight)
        for c in 0..<3 {
            for y in 0..<toHeight {
                for x in 0..<toWidth {
                    out[(c * toHeight + y) * toWidth + x] = values[(c * height + y) * width + x]
                }
            }
        }
        return out
    }
}

import Imaging
import Tensor

/// One rendered validation row: `real_A | fake_B | rec_A` (for an A image) or
/// `real_B | fake_A | rec_B` (for a B image), 8-bit RGB, three images wide.
public struct ValidationRow: Sendable, Equatable {
    /// `A_<file>` or `B_<file>`: unique within a validation set, used as the PNG name.
    public let name: String
    public let image: Image

    /// A row named `name` (`A_<file>` / `B_<file>`) showing `image` (8-bit RGB, three panels wide).
    public init(name: String, image: Image) {
        self.name = name
        self.image = image
    }
}

/// Translates validation images into PNG-ready rows. Pure computation (no files),
/// so cluster workers can compute rows and the coordinator write them.
public enum ValidationRenderer {
    /// The rows for every image of `set`, A images first, with the model's current generators.
    /// Runs without recording a graph.
    public static func rows(model: CycleGANModel, set: ValidationSet) throws(CycleGANError) -> [ValidationRow] {
        var rows: [ValidationRow] = []
        for (prefix, items, forward, backward) in [
            ("A", set.itemsA, model.generatorAB, model.generatorBA),
            ("B", set.itemsB, model.generatorBA, model.generatorAB),
        ] {
            for item in items {
                let row = try Self.row(item.values, size: set.size, name: item.name, forward: forward, backward: backward)
                rows.append(ValidationRow(name: prefix + "_" + item.name, image: row))
            }
        }
        return rows
    }

    /// One image's row, `real | translated | reconstructed`: `values` (`[3 * size²]`, CHW, in
    /// [-1, 1]) of domain A (`fromA`, through G_AB then G_BA) or B (through G_BA then G_AB),
    /// with the model's current generators. Runs without recording a graph.
    public static func row(model: CycleGANModel, values: [Float], size: Int, fromA: Bool, name: String) throws(CycleGANError) -> Image {
        let (forward, backward) = fromA ? (model.generatorAB, model.generatorBA) : (model.generatorBA, model.generatorAB)
        return try row(values, size: size, name: name, forward: forward, backward: backward)
    }

    private static func row(_ values: [Float], size: Int, name: String, forward: ResnetGenerator,
                            backward: ResnetGenerator) throws(CycleGANError) -> Image {
        let input = try Tensor.images([values], height: size, width: size)
        let fake = try Inference.run { try forward(input) }
        let reconstructed = try Inference.run { try backward(fake) }
        let panels = [input, fake, reconstructed].compactMap { Image(chwFloats: $0.scalars, width: size, height: size) }
        guard panels.count == 3, let row = Image.horizontalConcatenation(panels) else {
            throw .invalidBatch("validation image \(name) could not be rendered")
        }
        return row
    }
}

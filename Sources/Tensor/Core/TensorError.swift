/// Every error the Tensor module throws. Ops check their operands' shapes and arguments up front and
/// throw one of these instead of trapping; the description is a sentence naming the op and the shapes.
public enum TensorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The operands' shapes do not fit the op; `reason` says which dimension disagrees.
    case shapeMismatch(op: String, shapes: [TensorShape], reason: String)
    /// A non-shape argument (stride, padding, slice range, ...) is out of range.
    case invalidArgument(op: String, reason: String)
    /// `Tensor(shape:scalars:)` got a number of scalars different from the shape's element count.
    case scalarCountMismatch(op: String, shape: TensorShape, count: Int)
    /// The op needs a one-element tensor (`item()`, `backward()`).
    case notScalar(op: String, shape: TensorShape)
    /// `backward()` was called on a tensor that does not depend on any parameter.
    case doesNotRequireGrad(shape: TensorShape)
    /// `backward()` reached a part of a graph whose saved buffers an earlier `backward()` released.
    case graphReleased(op: String)
    /// The operation is only allowed on leaf tensors (parameters or tensors without history).
    case notALeaf(op: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, shapes, reason):
            let list = shapes.map(\.description).joined(separator: " and ")
            return "\(op): shapes \(list) do not fit: \(reason)."
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)."
        case let .scalarCountMismatch(op, shape, count):
            return "\(op): shape \(shape) holds \(shape.count) elements but \(count) scalars were given."
        case let .notScalar(op, shape):
            return "\(op): needs a tensor with exactly one element, got shape \(shape) (\(shape.count) elements)."
        case let .doesNotRequireGrad(shape):
            return "backward: the tensor of shape \(shape) does not depend on any parameter, so there is nothing to differentiate."
        case let .graphReleased(op):
            return "backward: the graph through '\(op)' was already released by an earlier backward(); rebuild it with a new forward pass."
        case let .notALeaf(op):
            return "\(op): only allowed on a leaf tensor (a parameter or a tensor without history), not on an op result."
        }
    }
}

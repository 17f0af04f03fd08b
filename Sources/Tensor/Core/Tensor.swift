/// A float32, contiguous, row-major tensor and a node of the autograd graph.
///
/// A tensor is either a *leaf* (created from scalars, a parameter, or a `detach()`ed value) or the
/// result of an op. Results of ops on tensors that require gradients remember how to propagate a
/// gradient back (see `backward()`); the buffers an op needs for that are freed once `backward()`
/// has used them. A graph is built and differentiated by one thread at a time; the data kernels
/// themselves run on `ThreadPool.shared`.
public final class Tensor: @unchecked Sendable {
    /// Dimensions, outermost first; images are `[N, C, H, W]`.
    public let shape: TensorShape
    let storage: TensorStorage
    /// The op that produced this tensor (nil for leaves and for results computed without recording).
    let node: GraphNode?
    /// True for trainable leaves: gradients accumulate into `grad`.
    private(set) var isParameter: Bool
    private var gradient: Tensor?
    /// True when `gradient` was allocated by the engine and may be added to in place.
    private var gradientIsOwned = false

    init(shape: TensorShape, storage: TensorStorage, node: GraphNode? = nil, isParameter: Bool = false) {
        self.shape = shape
        self.storage = storage
        self.node = node
        self.isParameter = isParameter
    }

    /// A leaf holding `scalars` (row-major).
    /// - Throws: `TensorError.scalarCountMismatch` when `scalars.count != shape.count`,
    ///   `TensorError.invalidArgument` for negative dimensions.
    public init(shape: TensorShape, scalars: [Float]) throws(TensorError) {
        guard shape.isValid else {
            throw .invalidArgument(op: "Tensor(shape:scalars:)", reason: "shape \(shape) has a negative or oversized dimension")
        }
        guard scalars.count == shape.count else {
            throw .scalarCountMismatch(op: "Tensor(shape:scalars:)", shape: shape, count: scalars.count)
        }
        self.shape = shape
        self.storage = scalars.withUnsafeBufferPointer { TensorStorage(copying: $0) }
        self.node = nil
        self.isParameter = false
    }

    /// A leaf of zeros. Negative dimensions count as size 0.
    public convenience init(zeros shape: TensorShape) {
        self.init(shape: shape, storage: TensorStorage(zeroedCount: shape.isValid ? shape.count : 0))
    }

    /// A leaf with every element equal to `value`. Negative dimensions count as size 0.
    public convenience init(repeating value: Float, shape: TensorShape) {
        let storage = TensorStorage(uninitializedCount: shape.isValid ? shape.count : 0)
        storage.pointer.initialize(repeating: value, count: storage.count)
        self.init(shape: shape, storage: storage)
    }

    /// A trainable leaf: its gradient accumulates over every use in a graph and across backward
    /// calls until `zeroGrad()`.
    /// - Throws: like `init(shape:scalars:)`.
    public static func parameter(shape: TensorShape, scalars: [Float]) throws(TensorError) -> Tensor {
        let t = try Tensor(shape: shape, scalars: scalars)
        t.isParameter = true
        return t
    }

    /// True for parameters and for results that depend on them (while recording).
    public var requiresGrad: Bool { node != nil || isParameter }

    /// True when the tensor has no recorded history.
    public var isLeaf: Bool { node == nil }

    /// Accumulated gradient of a parameter (same shape); nil until a backward reaches it.
    public var grad: Tensor? { gradient }

    /// Number of elements.
    public var count: Int { storage.count }

    /// A copy of the data, row-major.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count)) }

    /// The single value of a one-element tensor.
    /// - Throws: `TensorError.notScalar` when the tensor does not hold exactly one element.
    public func item() throws(TensorError) -> Float {
        guard storage.count == 1 else { throw .notScalar(op: "item", shape: shape) }
        return storage.pointer[0]
    }

    /// Read access to the data, row-major.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// In-place access to the data (loading weights, optimizer updates). Only meant for leaves and
    /// detached tensors: changing an op result's data does not change what its backward computes.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(storage.buffer)
    }

    /// Same values (shared storage), no history, `requiresGrad == false`.
    public func detach() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Turns a leaf into a parameter (`true`) or freezes it (`false`): a frozen parameter receives no
    /// gradient and ops skip computing one for it (e.g. the discriminators during the generator step).
    /// - Throws: `TensorError.notALeaf` for op results.
    public func setRequiresGrad(_ enabled: Bool) throws(TensorError) {
        guard node == nil else { throw .notALeaf(op: "setRequiresGrad") }
        isParameter = enabled
    }

    /// Forgets the accumulated gradient (`grad` becomes nil).
    public func zeroGrad() {
        gradient = nil
        gradientIsOwned = false
    }

    /// Adds `contribution` (same shape) into `grad`.
    func accumulateGrad(_ contribution: Tensor) {
        if let existing = gradient {
            if gradientIsOwned {
                Elementwise.addInPlace(existing.storage, contribution.storage)
            } else {
                gradient = Tensor(shape: shape, storage: Elementwise.sum(existing.storage, contribution.storage))
                gradientIsOwned = true
            }
        } else {
            // The contribution may be shared with other gradients: copy on the next accumulation.
            gradient = Tensor(shape: shape, storage: contribution.storage)
            gradientIsOwned = false
        }
    }

    /// A new tensor with the same data and a different shape of equal count (no history).
    func reshapedLeaf(_ newShape: TensorShape) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", ..." : "")]\(requiresGrad ? ", requiresGrad" : ""))"
    }
}

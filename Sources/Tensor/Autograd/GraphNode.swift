/// Computes the gradients of an op's inputs from the gradient of its output.
/// `needsGrad[i]` says whether input i wants a gradient; return nil for the others.
/// Returned tensors may alias the incoming gradient or each other: the engine never writes into them.
typealias BackwardFunction = (_ gradOutput: Tensor, _ needsGrad: [Bool]) -> [Tensor?]

/// Where a gradient flows: into the op that produced an input, or into a parameter leaf.
enum GraphEdge {
    case node(GraphNode)
    case parameter(Tensor)
}

/// One recorded op. Holds the edges to its inputs' producers (not their data) and a backward
/// closure that captures exactly the buffers it needs; `release()` drops both.
final class GraphNode {
    let op: String
    private(set) var inputs: [GraphEdge?]
    private(set) var backwardFunction: BackwardFunction?
    private(set) var isReleased = false

    init(op: String, inputs: [GraphEdge?], backward: @escaping BackwardFunction) {
        self.op = op
        self.inputs = inputs
        self.backwardFunction = backward
    }

    /// Frees the saved buffers and the edges; a later backward through this node throws.
    func release() {
        backwardFunction = nil
        inputs = []
        isReleased = true
    }
}

extension Tensor {
    /// The edge a gradient for this tensor follows, or nil when it needs none.
    var gradientEdge: GraphEdge? {
        if let node { return .node(node) }
        if isParameter { return .parameter(self) }
        return nil
    }

    /// Wraps an op's freshly computed output. When recording is on and some input requires a
    /// gradient, a graph node with `backward` is attached; otherwise `backward` (and everything it
    /// captured) is dropped at once.
    static func result(
        shape: TensorShape, storage: TensorStorage, op: String, inputs: [Tensor],
        backward: @escaping BackwardFunction
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: \.requiresGrad) else {
            return Tensor(shape: shape, storage: storage)
        }
        let node = GraphNode(op: op, inputs: inputs.map(\.gradientEdge), backward: backward)
        return Tensor(shape: shape, storage: storage, node: node)
    }

    /// True when recording is on and this input wants a gradient (ops use it to skip saving buffers).
    var recordsGradient: Bool { GradMode.isEnabled && requiresGrad }
}

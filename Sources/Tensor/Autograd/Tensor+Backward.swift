extension Tensor {
    /// Reverse mode from a one-element tensor: seeds 1, accumulates into every reachable
    /// parameter's `grad`, and releases the graph's saved buffers as soon as they have been used
    /// (a second backward over the same graph throws).
    ///
    /// Nodes run in dependency order (an op runs once every consumer of its output has
    /// contributed its gradient), so a module applied several times gets the sum of its uses.
    /// - Throws: `TensorError.notScalar` (count != 1), `.doesNotRequireGrad`, `.graphReleased`.
    public func backward() throws(TensorError) {
        guard count == 1 else { throw .notScalar(op: "backward", shape: shape) }
        guard requiresGrad else { throw .doesNotRequireGrad(shape: shape) }
        let seed = Tensor(repeating: 1, shape: shape)
        guard let root = node else {
            accumulateGrad(seed)
            return
        }
        try GradientEngine.run(root: root, seed: seed)
    }
}

/// The reverse-mode driver.
enum GradientEngine {
    /// A node's incoming gradient; `owned` when the engine allocated it and may add in place.
    private struct Accumulator {
        var gradient: Tensor
        var owned: Bool

        mutating func add(_ contribution: Tensor) {
            if owned {
                Elementwise.addInPlace(gradient.storage, contribution.storage)
            } else {
                gradient = Tensor(shape: gradient.shape, storage: Elementwise.sum(gradient.storage, contribution.storage))
                owned = true
            }
        }
    }

    static func run(root: GraphNode, seed: Tensor) throws(TensorError) {
        // Discover the reachable graph and count each node's consumers inside it.
        var pendingConsumers: [ObjectIdentifier: Int] = [:]
        var stack = [root]
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        while let node = stack.popLast() {
            if node.isReleased { throw .graphReleased(op: node.op) }
            for edge in node.inputs {
                guard case let .node(input)? = edge else { continue }
                let id = ObjectIdentifier(input)
                pendingConsumers[id, default: 0] += 1
                if visited.insert(id).inserted { stack.append(input) }
            }
        }

        var gradients: [ObjectIdentifier: Accumulator] = [ObjectIdentifier(root): Accumulator(gradient: seed, owned: false)]
        var ready = [root]
        while let node = ready.popLast() {
            let incoming = gradients.removeValue(forKey: ObjectIdentifier(node))
            let edges = node.inputs
            var outputs: [Tensor?] = []
            if let incoming, let backward = node.backwardFunction {
                outputs = backward(incoming.gradient, edges.map { $0 != nil })
            }
            node.release()
            for (index, edge) in edges.enumerated() {
                guard let edge else { continue }
                let contribution = index < outputs.count ? outputs[index] : nil
                switch edge {
                case let .parameter(leaf):
                    if let contribution { leaf.accumulateGrad(contribution) }
                case let .node(input):
                    let id = ObjectIdentifier(input)
                    if let contribution {
                        if var accumulator = gradients.removeValue(forKey: id) {
                            accumulator.add(contribution)
                            gradients[id] = accumulator
                        } else {
                            gradients[id] = Accumulator(gradient: contribution, owned: false)
                        }
                    }
                    let remaining = (pendingConsumers[id] ?? 1) - 1
                    pendingConsumers[id] = remaining
                    if remaining == 0 { ready.append(input) }
                }
            }
        }
    }
}

import Tensor

/// Where each parameter of an optimizer group lives in the group's flat buffers.
public struct ParameterLayout: Sendable, Equatable {
    /// One parameter's place: `values[offset ..< offset + count]` in a flat buffer.
    public struct Slot: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        /// `offset ..< offset + count`.
        public var floats: Range<Int> { offset ..< offset + count }
    }

    /// The parameters in their fixed order.
    public let slots: [Slot]
    /// Length of a flat buffer of this group.
    public let count: Int

    init(_ parameters: [NamedParameter]) {
        var slots: [Slot] = []
        var offset = 0
        for parameter in parameters {
            let slot = Slot(name: parameter.name, shape: parameter.tensor.shape.dims, offset: offset)
            slots.append(slot)
            offset += slot.count
        }
        self.slots = slots
        count = offset
    }

    /// The floats of the parameters at `indices` (consecutive in layout order) in a flat buffer.
    public func floats(of indices: Range<Int>) -> Range<Int> {
        func start(_ i: Int) -> Int { i < slots.count ? slots[i].offset : count }
        return start(indices.lowerBound)..<start(indices.upperBound)
    }
}

/// The parameters one optimizer updates (`G` = G_AB then G_BA, `D` = D_A then D_B),
/// with a fixed order that defines the flat parameter, gradient and Adam buffers.
///
/// Holds references to the live parameter tensors of a ``CycleGANModel``.
public struct ParameterGroup: Sendable {
    /// `"G"` or `"D"`.
    public let name: String
    /// The parameters in their fixed order.
    public let parameters: [NamedParameter]
    /// Offsets into flat buffers.
    public let layout: ParameterLayout

    init(name: String, parameters: [NamedParameter]) {
        self.name = name
        self.parameters = parameters
        layout = ParameterLayout(parameters)
    }

    /// Number of scalars in the group.
    public var count: Int { layout.count }

    /// A zero buffer the size of the group (for gradients), zeroed on all kernel threads.
    public func zeroBuffer() -> [Float] { FlatBuffer.zeros(count: count) }

    /// All parameter values concatenated in layout order.
    public func flatValues() -> [Float] {
        var flat = [Float](repeating: 0, count: count)
        flat.withUnsafeMutableBufferPointer { out in
            for (slot, parameter) in zip(layout.slots, parameters) {
                parameter.tensor.withUnsafeBufferPointer { src in
                    _ = UnsafeMutableBufferPointer(rebasing: out[slot.floats]).initialize(from: src)
                }
            }
        }
        return flat
    }

    /// Copies `flat` (layout order) into the parameter tensors.
    /// Returns false (and changes nothing) when the length is not ``count``.
    @discardableResult
    public func load(flat: [Float]) -> Bool {
        guard flat.count == count else { return false }
        flat.withUnsafeBufferPointer { src in
            for (slot, parameter) in zip(layout.slots, parameters) {
                parameter.tensor.withUnsafeMutableBufferPointer { dst in
                    _ = dst.initialize(from: src[slot.floats])
                }
            }
        }
        return true
    }

    /// Adds every parameter's accumulated gradient into `buffer` (layout order)
    /// and clears the parameters' gradients. Parameters no backward reached add nothing.
    public func drainGradients(into buffer: inout [Float]) {
        drainGradients(parameters.indices, into: &buffer)
    }

    /// ``drainGradients(into:)`` for the parameters at `indices` only (their floats of `buffer`).
    public func drainGradients(_ indices: Range<Int>, into buffer: inout [Float]) {
        guard buffer.count == count else { return }
        buffer.withUnsafeMutableBufferPointer { out in
            for i in indices.clamped(to: parameters.indices) {
                let slot = layout.slots[i], parameter = parameters[i]
                guard let grad = parameter.tensor.grad else { continue }
                grad.withUnsafeBufferPointer { g in
                    FlatBuffer.add(g, into: UnsafeMutableBufferPointer(rebasing: out[slot.floats]))
                }
                parameter.tensor.zeroGrad()
            }
        }
    }

    /// Clears every parameter's gradient.
    public func zeroGradients() {
        zeroGradients(parameters.indices)
    }

    /// Clears the gradients of the parameters at `indices`.
    public func zeroGradients(_ indices: Range<Int>) {
        for i in indices.clamped(to: parameters.indices) { parameters[i].tensor.zeroGrad() }
    }
}

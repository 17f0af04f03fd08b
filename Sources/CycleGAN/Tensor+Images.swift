import Tensor

extension Tensor {
    /// Stacks per-sample images (`[3 * height * width]` each, CHW) into `[n, 3, height, width]`.
    /// Throws ``CycleGANError/invalidBatch(_:)`` when a sample has another size or there are none.
    public static func images<S: Collection>(_ samples: S, height: Int, width: Int) throws(CycleGANError) -> Tensor
    where S.Element == [Float] {
        let per = 3 * height * width
        guard !samples.isEmpty, height > 0, width > 0 else {
            throw .invalidBatch("a batch needs at least one image of positive size")
        }
        var flat = [Float]()
        flat.reserveCapacity(per * samples.count)
        for (i, sample) in samples.enumerated() {
            guard sample.count == per else {
                throw .invalidBatch("image \(i) has \(sample.count) values, expected 3x\(height)x\(width) = \(per)")
            }
            flat += sample
        }
        do {
            return try Tensor(shape: [samples.count, 3, height, width], scalars: flat)
        } catch {
            throw .tensor(error)
        }
    }

    /// Splits `[n, ...]` into `n` flat per-sample arrays.
    public func sampleArrays() -> [[Float]] {
        let n = shape.rank > 0 ? shape[0] : 1
        guard n > 0 else { return [] }
        let per = shape.count / n
        let all = scalars
        return (0..<n).map { Array(all[$0 * per ..< ($0 + 1) * per]) }
    }
}

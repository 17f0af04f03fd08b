import Tensor

/// Forward passes without recording a graph (validation, translation).
enum Inference {
    /// Runs `body` with gradient recording off, mapping its errors to ``CycleGANError``.
    static func run(_ body: () throws -> Tensor) throws(CycleGANError) -> Tensor {
        do {
            return try GradMode.noGrad(body)
        } catch let error as TensorError {
            throw .tensor(error)
        } catch let error as CycleGANError {
            throw error
        } catch {
            throw .invalidBatch("\(error)")
        }
    }
}

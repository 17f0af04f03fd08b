import Synchronization

/// A 64-byte aligned float32 buffer owned by one or more tensors (a tensor and its `detach()`
/// share storage). Freed when the last owner goes away, so dropping a graph frees its buffers.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Bytes currently held by live storages (diagnostics and memory tests).
    static let liveBytes = Atomic<Int>(0)
    /// Highest value `liveBytes` reached since the last `resetPeak()`.
    static let peakBytes = Atomic<Int>(0)

    /// Uninitialised storage: the caller writes every element before anyone reads it.
    init(uninitializedCount count: Int) {
        self.count = count
        let raw = StoragePool.allocate(byteCount: Swift.max(count, 1) * 4)
        pointer = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
        let bytes = count * 4
        let now = Self.liveBytes.add(bytes, ordering: .relaxed).newValue
        _ = Self.peakBytes.max(now, ordering: .relaxed)
    }

    /// Zero-filled storage.
    convenience init(zeroedCount count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: 0, count: count)
    }

    /// Storage holding a copy of `values`.
    convenience init(copying values: UnsafeBufferPointer<Float>) {
        self.init(uninitializedCount: values.count)
        if let base = values.baseAddress { pointer.initialize(from: base, count: values.count) }
    }

    /// A copy of this storage.
    func copy() -> TensorStorage {
        TensorStorage(copying: UnsafeBufferPointer(start: pointer, count: count))
    }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    deinit {
        Self.liveBytes.subtract(count * 4, ordering: .relaxed)
        StoragePool.release(UnsafeMutableRawPointer(pointer), byteCount: Swift.max(count, 1) * 4)
    }

    static func resetPeak() {
        peakBytes.store(liveBytes.load(ordering: .relaxed), ordering: .relaxed)
    }
}

/// Memory accounting for tensor buffers (activations, gradients, saved buffers; not scratch).
public enum TensorMemory {
    /// Bytes held by live tensor buffers right now.
    public static var liveBytes: Int { TensorStorage.liveBytes.load(ordering: .relaxed) }
    /// Highest `liveBytes` since the last `resetPeak()`.
    public static var peakBytes: Int { TensorStorage.peakBytes.load(ordering: .relaxed) }
    /// Starts a new peak measurement from the current live size.
    public static func resetPeak() { TensorStorage.resetPeak() }
}

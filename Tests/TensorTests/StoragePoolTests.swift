import Testing
@testable import Tensor

@Suite struct StoragePoolTests {
    // Sizes no other test allocates, so parallel tests cannot take these buffers in between.
    @Test func aFreedBufferIsReusedForTheSameSize() {
        var first: TensorStorage? = TensorStorage(uninitializedCount: 70_001)
        let address = first?.pointer
        first = nil
        let second = TensorStorage(uninitializedCount: 70_001)
        #expect(second.pointer == address)
    }

    @Test func aReusedBufferIsZeroedWhenZerosAreAsked() {
        var dirty: TensorStorage? = TensorStorage(uninitializedCount: 70_003)
        dirty?.pointer.update(repeating: .nan, count: 70_003)
        dirty = nil
        let clean = TensorStorage(zeroedCount: 70_003)
        #expect(clean.buffer.allSatisfy { $0 == 0 })
    }

}

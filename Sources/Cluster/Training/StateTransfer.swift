/// Sends a `ReplicaState` as `stateBegin` + `stateChunk`s and reassembles it.
public enum StateTransfer {
    /// Floats per chunk: 4 Mi (16 MiB), well under the frame limit.
    public static let chunkFloats = 4 << 20

    public static func send(_ state: ReplicaState, over connection: Connection) throws(TransportError) {
        let crc = state.values.withUnsafeBytes { CRC32.checksum($0) }
        try connection.send(.stateBegin(StateBegin(step: state.step, optimizerSteps: state.optimizerSteps,
                                                   floatCount: state.values.count, crc: crc)))
        var offset = 0
        repeat {
            let end = min(state.values.count, offset + chunkFloats)
            try connection.send(.stateChunk(StateChunk(offset: offset, values: Array(state.values[offset..<end]))))
            offset = end
        } while offset < state.values.count
    }

    /// Collects chunks after a `stateBegin`.
    public struct Assembler: Sendable {
        public let begin: StateBegin
        private var values: [Float]
        private var received = 0

        /// - Throws: `WireError.invalid` when the announced size is not `expectedCount`.
        public init(_ begin: StateBegin, expectedCount: Int?) throws(WireError) {
            if let expectedCount, begin.floatCount != expectedCount {
                throw .invalid(field: "stateBegin.floatCount", offset: 0,
                               reason: "\(begin.floatCount) floats announced, the model has \(expectedCount)")
            }
            self.begin = begin
            values = [Float](repeating: 0, count: begin.floatCount)
        }

        /// Adds a chunk; returns the state once complete and its CRC checks.
        public mutating func add(_ chunk: StateChunk) throws(WireError) -> ReplicaState? {
            guard chunk.offset == received, chunk.offset + chunk.values.count <= values.count else {
                throw .invalid(field: "stateChunk.offset", offset: 0,
                               reason: "chunk [\(chunk.offset), +\(chunk.values.count)) does not continue at \(received) of \(values.count)")
            }
            values.replaceSubrange(chunk.offset..<(chunk.offset + chunk.values.count), with: chunk.values)
            received += chunk.values.count
            guard received == values.count else { return nil }
            let crc = values.withUnsafeBytes { CRC32.checksum($0) }
            guard crc == begin.crc else { throw .checksumMismatch(kind: MessageKind.stateChunk.rawValue, expected: begin.crc, actual: crc) }
            return ReplicaState(step: begin.step, optimizerSteps: begin.optimizerSteps, values: values)
        }
    }
}

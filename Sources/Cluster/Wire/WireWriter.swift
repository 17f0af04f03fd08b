/// Appends little-endian binary fields to a byte array (the payload of one frame).
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func write(_ v: UInt8) { bytes.append(v) }
    public mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func write(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func write(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func write(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    /// Signed integers travel as 64-bit two's complement.
    public mutating func write(_ v: Int) { write(UInt64(bitPattern: Int64(v))) }
    public mutating func write(_ v: Float) { write(v.bitPattern) }
    public mutating func write(_ v: Double) { write(v.bitPattern) }
    /// UTF-8 with a 32-bit length.
    public mutating func write(_ s: String) { writeBytes(Array(s.utf8)) }
    /// Raw bytes with a 32-bit length.
    public mutating func writeBytes(_ b: [UInt8]) { write(UInt32(b.count)); bytes.append(contentsOf: b) }
    /// Exactly `b.count` bytes, no length (fixed-size fields like nonces).
    public mutating func writeFixed(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// Float32 array: 32-bit count then little-endian IEEE 754 values.
    public mutating func writeFloats(_ values: [Float]) {
        values.withUnsafeBufferPointer { writeFloats($0) }
    }
    /// Float32 values from a buffer: 32-bit count then little-endian IEEE 754 values.
    public mutating func writeFloats(_ values: UnsafeBufferPointer<Float>) {
        write(UInt32(values.count))
        #if _endian(little)
        bytes.append(contentsOf: UnsafeRawBufferPointer(values))
        #else
        for v in values { write(v) }
        #endif
    }
    public mutating func writeInts(_ values: [Int]) { write(UInt32(values.count)); for v in values { write(v) } }
}

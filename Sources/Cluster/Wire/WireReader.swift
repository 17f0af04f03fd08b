/// Reads little-endian binary fields from one frame's payload, never past its end.
///
/// Every read names its field so that a malformed frame is reported as
/// "field 'slots' at byte 12 needs 8 bytes but only 3 remain".
public struct WireReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }

    private mutating func take(_ n: Int, _ field: String) throws(WireError) -> Range<Int> {
        guard n >= 0, n <= remaining else {
            throw .truncated(field: field, offset: offset, needed: n, available: remaining)
        }
        defer { offset += n }
        return offset..<(offset + n)
    }

    private mutating func fixedWidth<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(WireError) -> T {
        let r = try take(MemoryLayout<T>.size, field)
        var v: T = 0
        for i in r.reversed() { v = (v << 8) | T(bytes[i]) }
        return v
    }

    public mutating func u8(_ field: String) throws(WireError) -> UInt8 { try fixedWidth(UInt8.self, field) }
    public mutating func u16(_ field: String) throws(WireError) -> UInt16 { try fixedWidth(UInt16.self, field) }
    public mutating func u32(_ field: String) throws(WireError) -> UInt32 { try fixedWidth(UInt32.self, field) }
    public mutating func u64(_ field: String) throws(WireError) -> UInt64 { try fixedWidth(UInt64.self, field) }
    public mutating func bool(_ field: String) throws(WireError) -> Bool {
        let at = offset
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let v: throw .invalid(field: field, offset: at, reason: "a boolean must be 0 or 1, got \(v)")
        }
    }
    /// A 64-bit signed integer that must lie in `range`.
    public mutating func int(_ field: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(WireError) -> Int {
        let at = offset
        let v = Int(Int64(bitPattern: try u64(field)))
        guard range.contains(v) else {
            throw .invalid(field: field, offset: at, reason: "\(v) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }
    public mutating func float(_ field: String) throws(WireError) -> Float { Float(bitPattern: try u32(field)) }
    public mutating func double(_ field: String) throws(WireError) -> Double { Double(bitPattern: try u64(field)) }

    /// A 32-bit element count, checked against what the frame can still hold.
    private mutating func count(_ field: String, elementSize: Int) throws(WireError) -> Int {
        let at = offset
        let n = Int(try u32(field + ".count"))
        guard n.multipliedReportingOverflow(by: elementSize).partialValue <= remaining else {
            throw .truncated(field: field, offset: at + 4, needed: n * elementSize, available: remaining)
        }
        return n
    }

    public mutating func bytes(_ field: String) throws(WireError) -> [UInt8] {
        let n = try count(field, elementSize: 1)
        return Array(bytes[try take(n, field)])
    }
    public mutating func fixed(_ n: Int, _ field: String) throws(WireError) -> [UInt8] {
        Array(bytes[try take(n, field)])
    }
    public mutating func string(_ field: String, maxBytes: Int = 1 << 20) throws(WireError) -> String {
        let at = offset
        let raw = try bytes(field)
        guard raw.count <= maxBytes else {
            throw .invalid(field: field, offset: at, reason: "string of \(raw.count) bytes is longer than \(maxBytes)")
        }
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw .invalid(field: field, offset: at, reason: "not valid UTF-8")
        }
        return s
    }
    public mutating func floats(_ field: String) throws(WireError) -> [Float] {
        let n = try count(field, elementSize: 4)
        let r = try take(n * 4, field)
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[r]))
            }
        }
        #if _endian(big)
        for i in out.indices { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
        #endif
        return out
    }
    public mutating func ints(_ field: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(WireError) -> [Int] {
        let n = try count(field, elementSize: 8)
        var out: [Int] = []; out.reserveCapacity(n)
        for i in 0..<n { out.append(try int("\(field)[\(i)]", in: range)) }
        return out
    }
    /// A count of nested records, each taking at least `minimumSize` bytes.
    public mutating func recordCount(_ field: String, minimumSize: Int) throws(WireError) -> Int {
        try count(field, elementSize: max(1, minimumSize))
    }

    /// Throws unless every byte was consumed.
    public func finish(_ kind: String) throws(WireError) {
        if remaining != 0 { throw .trailingBytes(kind: kind, count: remaining) }
    }
}

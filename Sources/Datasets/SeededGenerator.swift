/// A ``SplitMix64`` generator with named streams and uniform doubles.
///
/// The same seed gives the same sequence on every platform, which keeps
/// dataset preparation and splits reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// A generator for one item of a stream, independent of the others: mixes `seed` with the labels.
    public init(seed: UInt64, stream: String, index: Int) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a over the stream name
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        var g = SeededGenerator(seed: seed ^ h)
        generator = SplitMix64(seed: g.next() ^ UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15)
    }

    public mutating func next() -> UInt64 { generator.next() }

    /// A uniform `Double` in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        let unit = Double(next() >> 11) * (1.0 / Double(1 << 53))
        return range.lowerBound + (range.upperBound - range.lowerBound) * unit
    }
}

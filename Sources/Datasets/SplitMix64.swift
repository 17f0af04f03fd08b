/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast 64-bit generator.
///
/// Used to expand seeds into other generators' states, as the mixing function
/// of CycleGAN's `KeyedRandom`, for dataset preparation (``SeededGenerator``) and
/// for seeded test inputs. Not for secrets. Pure integer arithmetic, so the sequence is the
/// same on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's whole state: the counter it advances by the golden gamma.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 output function: a bijective avalanche of 64 bits.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

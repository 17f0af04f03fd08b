import Datasets

/// A counter-based random stream: its draws depend only on a seed and a list
/// of keys (for example seed, epoch, sample index and a purpose), never on what
/// was drawn before. Any machine can recompute any sample's random choices.
///
/// The keys are folded into one 64-bit stream key with the SplitMix64 mixer;
/// the stream is a SplitMix64 generator started at that key.
public struct KeyedRandom: RandomNumberGenerator, Sendable, Equatable {
    private var generator: SplitMix64

    /// The stream for `seed` and `keys` (order matters: `[1, 2]` and `[2, 1]` differ).
    public init(seed: UInt64, keys: [UInt64]) {
        var key = SplitMix64.mix(seed ^ 0x6A09_E667_F3BC_C908)
        for (position, value) in keys.enumerated() {
            key = SplitMix64.mix(key ^ SplitMix64.mix(value &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(position + 1)))
        }
        generator = SplitMix64(seed: key)
    }

    public mutating func next() -> UInt64 { generator.next() }
}

import Datasets

/// xoshiro256** (Blackman, Vigna 2018): the generator behind every sequential
/// random choice whose state is checkpointed (the image pools).
///
/// Its 256-bit state is four `UInt64`s, exposed so a checkpoint can store and
/// restore it exactly.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Expands `seed` with SplitMix64, as the xoshiro authors recommend.
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        (s0, s1, s2, s3) = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// Restores a saved state; `nil` unless there are four words, not all zero.
    public init?(stateWords words: [UInt64]) {
        guard words.count == 4, words.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// The state as four words (for checkpoints).
    public var stateWords: [UInt64] { [s0, s1, s2, s3] }

    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

import Foundation

/// Splits a step's slots among workers in proportion to their measured speed.
public enum SlotAllocator {
    /// Contiguous slot ranges per worker (in ring order) covering `0..<slots`, cut only at
    /// multiples of `microBatch`: each worker gets whole micro-batches of the global batch,
    /// `herd train`'s, so the cluster computes the same micro-batches and sums their
    /// gradients in the same order. The micro-batches are split in proportion to `speeds`
    /// (see ``split(slots:speeds:)``); the last one may be short, as in `herd train`.
    public static func ranges(slots: Int, microBatch: Int, speeds: [Double]) -> [Range<Int>] {
        let micro = max(1, microBatch)
        let units = (max(0, slots) + micro - 1) / micro
        var next = 0
        return split(slots: units, speeds: speeds).map { count in
            let first = min(slots, next * micro)
            next += count
            return first..<min(slots, next * micro)
        }
    }

    /// Slot counts per worker summing to `slots`, proportional to `speeds`
    /// (samples per second; non-positive or unknown speeds count as the mean of the
    /// known ones), by largest remainder with ties to the earlier worker.
    public static func split(slots: Int, speeds: [Double]) -> [Int] {
        guard !speeds.isEmpty, slots > 0 else { return speeds.map { _ in 0 } }
        let known = speeds.filter { $0 > 0 && $0.isFinite }
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        let weights = speeds.map { $0 > 0 && $0.isFinite ? $0 : fallback }
        let total = weights.reduce(0, +)
        let exact = weights.map { Double(slots) * $0 / total }
        var counts = exact.map { Int($0.rounded(.down)) }
        var left = slots - counts.reduce(0, +)
        let order = exact.indices.sorted { (exact[$0] - Double(counts[$0]), -$0) > (exact[$1] - Double(counts[$1]), -$1) }
        for i in order where left > 0 { counts[i] += 1; left -= 1 }
        return counts
    }
}

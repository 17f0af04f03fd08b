/// Summaries of repeated timings, shared by the benchmarks.
extension Collection where Element == Double {
    /// The middle value; with an even count, the mean of the two middle values. Nil when empty.
    public var median: Double? {
        let sorted = self.sorted()
        guard !sorted.isEmpty else { return nil }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

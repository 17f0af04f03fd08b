/// A least-recently-used cache keyed by content hash (SHA-256 digest), bounded by
/// the bytes its values take (`cost` of each value, counted by the caller).
///
/// Inserting beyond `capacity` evicts the least recently used values first; a single
/// value larger than `capacity` is not kept at all. Lookups and insertions are O(1)
/// amortised (recency is a queue with lazy deletion, compacted when it doubles).
public struct ContentCache<Value> {
    struct Entry { var value: Value; var cost: Int; var tick: UInt64 }

    /// Most bytes the values may take together.
    public let capacity: Int
    /// Bytes the values take now.
    public private(set) var totalCost = 0
    private var entries: [[UInt8]: Entry] = [:]
    private var recency: [(key: [UInt8], tick: UInt64)] = []
    private var head = 0
    private var clock: UInt64 = 0

    /// A cache of at most `capacity` bytes (negative counts as 0).
    public init(capacity: Int) { self.capacity = max(0, capacity) }

    /// Values held.
    public var count: Int { entries.count }

    /// Whether `key` is held (does not count as a use).
    public func contains(_ key: [UInt8]) -> Bool { entries[key] != nil }

    /// The value of `key`, marking it most recently used; nil when not held.
    public mutating func value(_ key: [UInt8]) -> Value? {
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.tick = clock
        entries[key] = entry
        recency.append((key, clock))
        compactIfNeeded()
        return entry.value
    }

    /// Stores `value` (taking `cost` bytes) as the most recently used, evicting older values
    /// until everything fits. Returns false (and holds nothing for `key`) when `cost > capacity`.
    @discardableResult
    public mutating func insert(_ value: Value, cost: Int, for key: [UInt8]) -> Bool {
        if let old = entries.removeValue(forKey: key) { totalCost -= old.cost }
        let cost = max(0, cost)
        guard cost <= capacity else { return false }
        while totalCost + cost > capacity, evictOldest() {}
        clock += 1
        entries[key] = Entry(value: value, cost: cost, tick: clock)
        totalCost += cost
        recency.append((key, clock))
        compactIfNeeded()
        return true
    }

    /// Drops the least recently used value; false when empty.
    private mutating func evictOldest() -> Bool {
        while head < recency.count {
            let (key, tick) = recency[head]
            head += 1
            if let entry = entries[key], entry.tick == tick {
                entries[key] = nil
                totalCost -= entry.cost
                return true
            }
        }
        return false
    }

    /// Keeps the recency queue within twice the live entries (stale positions are dropped).
    private mutating func compactIfNeeded() {
        guard recency.count - head > 2 * entries.count + 64 else { return }
        recency = recency[head...].filter { entries[$0.key]?.tick == $0.tick }
        head = 0
    }
}

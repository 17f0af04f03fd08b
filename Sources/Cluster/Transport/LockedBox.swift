import Locking

/// A value shared between threads behind a `Locked` (get, set, update in place).
public final class LockedBox<Value: Sendable>: Sendable {
    private let storage: Locked<Value>
    public init(_ value: Value) { storage = Locked(value) }
    public func get() -> Value { storage.withLock { $0 } }
    public func set(_ value: Value) { storage.withLock { $0 = value } }
    /// Mutates in place and returns what `body` returns.
    @discardableResult
    public func update<R: Sendable>(_ body: (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
}

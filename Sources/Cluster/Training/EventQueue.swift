import Dispatch
import Locking

/// A multi-producer, single-consumer queue with a timed `pop`.
public final class EventQueue<Element: Sendable>: Sendable {
    private let items = Locked<[Element]>([])
    private let available = DispatchSemaphore(value: 0)

    public init() {}

    public func push(_ element: Element) {
        items.withLock { $0.append(element) }
        available.signal()
    }

    /// The oldest element, waiting at most `timeout` seconds; nil on timeout.
    public func pop(timeout: Double) -> Element? {
        guard available.wait(timeout: .now() + max(0, timeout)) == .success else { return nil }
        return items.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

import Foundation

/// A first-in first-out queue of at most `capacity` items between threads: `push` waits while it
/// is full and `pop` while it is empty, so a fast producer can never run more than `capacity`
/// items ahead of its consumer (the build's memory bound). `close()` ends it: later pushes are
/// refused, and pops return what is left, then nil.
final class BoundedQueue<Item>: @unchecked Sendable {
    let capacity: Int
    private let condition = NSCondition()
    /// Taken items are set to nil at once, so the queue never holds on to a popped shard's memory.
    private var items: [Item?] = []
    private var head = 0
    private var closed = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Adds `item` once there is room; false (the item dropped) when the queue is closed.
    func push(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count - head >= capacity { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The oldest item, once there is one; nil when the queue is closed and empty.
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while !closed && head == items.count { condition.wait() }
        guard head < items.count else { return nil }
        let item = items[head]
        items[head] = nil
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= max(capacity, 64) {
            // A producer that never lets the queue run empty would otherwise grow the array by a
            // slot per item for the whole build; dropping the taken slots keeps it near `capacity`.
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// Slots the queue holds, taken ones included (for the test of its memory bound).
    var storedSlots: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }

    /// Refuses further pushes and wakes every waiting thread.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

import Foundation

/// A first-in first-out queue of at most `capacity` items between threads: `push` waits while it
/// is full and `pop` while it is empty, so a fast producer can never run more than `capacity`
/// items ahead of its consumer (the build's memory bound). `close()` ends it: later pushes are
/// refused, and pops return what is left, then nil.
///
/// Waking a thread costs a context switch, which is more than a small item's work: a consumer
/// woken for every item, then waiting again, spent as much time switching as the whole row
/// encoding (the multi-core build lost 0.17 s of its 2.4 CPU seconds to it). So a waiting
/// consumer is woken only once `wakeBatch` items are queued, and a waiting producer only once
/// `wakeBatch` slots are free; `close()` wakes everyone. Use `wakeBatch` 1 when the producer may
/// wait for an item's result before it pushes the next (the consumer would never be woken).
final class BoundedQueue<Item>: @unchecked Sendable {
    let capacity: Int
    let wakeBatch: Int
    private let condition = NSCondition()
    /// Taken items are set to nil at once, so the queue never holds on to a popped shard's memory.
    private var items: [Item?] = []
    private var head = 0
    private var closed = false
    private var waitingConsumers = 0
    private var waitingProducers = 0
    /// A wake was sent and nobody on that side has gone back to waiting since: the woken thread
    /// has not run yet, and waking it again would only cost another system call.
    private var consumersWoken = false
    private var producersWoken = false
    private var wakes = 0

    init(capacity: Int, wakeBatch: Int = 1) {
        self.capacity = max(1, capacity)
        self.wakeBatch = min(max(1, wakeBatch), self.capacity)
    }

    private var count: Int { items.count - head }

    /// Adds `item` once there is room; false (the item dropped) when the queue is closed.
    func push(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && count >= capacity {
            waitingProducers += 1
            producersWoken = false
            condition.wait()
            waitingProducers -= 1
        }
        guard !closed else { return false }
        items.append(item)
        if waitingConsumers > 0 && !consumersWoken && count >= wakeBatch {
            consumersWoken = true
            wake()
        }
        return true
    }

    /// The oldest item, once there is one; nil when the queue is closed and empty.
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while !closed && count == 0 {
            waitingConsumers += 1
            consumersWoken = false
            condition.wait()
            waitingConsumers -= 1
        }
        guard count > 0 else { return nil }
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
        if waitingProducers > 0 && !producersWoken && capacity - count >= wakeBatch {
            producersWoken = true
            wake()
        }
        return item
    }

    private func wake() {
        wakes += 1
        condition.broadcast()
    }

    /// Slots the queue holds, taken ones included (for the test of its memory bound).
    var storedSlots: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }

    /// How many times a waiting thread was woken by a push or a pop (for the test of the batching).
    var wakeCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return wakes
    }

    /// Refuses further pushes and wakes every waiting thread.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

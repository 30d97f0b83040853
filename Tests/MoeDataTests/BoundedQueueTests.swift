import Foundation
import Testing

@testable import MoeData

@Suite struct BoundedQueueTests {
    /// A consumer that never lets the queue run empty (the build's row queue, when the writer keeps
    /// up) must not make it keep a slot for every item it ever held.
    @Test func aQueueThatNeverRunsEmptyStaysNearItsCapacity() {
        let queue = BoundedQueue<Int>(capacity: 4)
        #expect(queue.push(0))
        var popped: [Int] = []
        for i in 1...100_000 {
            #expect(queue.push(i))
            popped.append(queue.pop() ?? -1)
        }
        #expect(popped == Array(0..<100_000), "first in, first out")
        #expect(queue.storedSlots <= 64 + 4, "\(queue.storedSlots) slots held for 1 waiting item")
        queue.close()
        #expect(queue.pop() == 100_000)
        #expect(queue.pop() == nil)
        #expect(!queue.push(1))
    }

    /// A waiting thread is woken once a batch is ready, not for every item: a consumer that keeps
    /// up with its producer (the row encoder) was woken 14,000 times for 14,000 rows, and each
    /// wake is a context switch. Both ways round: a fast consumer (waits for items) and a slow one
    /// (its producer waits for room).
    @Test(arguments: [false, true])
    func waitingThreadsAreWokenOncePerBatch(slowConsumer: Bool) {
        let items = 20_000
        let queue = BoundedQueue<Int>(capacity: 256, wakeBatch: 32)
        let producer = Thread {
            for i in 0..<items {
                if !slowConsumer && i % 4 == 0 { usleep(1) }
                _ = queue.push(i)
            }
            queue.close()
        }
        producer.start()
        var popped: [Int] = []
        var sink = 0
        while let item = queue.pop() {
            popped.append(item)
            if slowConsumer { for k in 0..<200 { sink &+= k &* item } }
        }
        #expect(sink >= 0)
        #expect(popped == Array(0..<items), "first in, first out")
        // Each wake needs 32 pushes (a consumer's) or 32 pops (a producer's) since the last.
        #expect(queue.wakeCount <= 2 * items / 32 + 2, "\(queue.wakeCount) wakes for \(items) items")
    }
}

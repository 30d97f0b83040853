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
}

/// A binary min-heap of 64-bit keys over a reused array.
struct MinHeap {
    var storage: [UInt64]

    init(storage: [UInt64]) {
        self.storage = storage
        self.storage.removeAll(keepingCapacity: true)
    }

    mutating func push(_ value: UInt64) {
        storage.append(value)
        var i = storage.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard storage[parent] > storage[i] else { break }
            storage.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = storage.first else { return nil }
        let last = storage.removeLast()
        guard !storage.isEmpty else { return first }
        storage[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < storage.count && storage[l] < storage[smallest] { smallest = l }
            if r < storage.count && storage[r] < storage[smallest] { smallest = r }
            guard smallest != i else { break }
            storage.swapAt(i, smallest)
            i = smallest
        }
        return first
    }
}

/// A byte trie of pieces in double-array form: the child of node `s` on byte `c` is
/// `t = base[s] + c` when `check[t] == s`. One array read per input byte, no hashing, no
/// pointers, so the Viterbi pass walks it at memory speed.
///
/// Every piece string ends at a node; `value` holds the id stored there (or -1). Built once
/// per model from the sorted piece strings. The units live in memory the trie owns, so the
/// encoder's inner loop reads them through a plain pointer (no reference counting, no
/// exclusivity checks).
final class PieceTrie: @unchecked Sendable {
    struct Unit: Sendable {
        var base: Int32
        var check: Int32
        var value: Int32
        /// The score of `value`'s piece, filled in by the encoder; kept in the unit so the
        /// Viterbi pass reads trie and score from one 16-byte slot (one cache line access).
        var score: Float
    }

    let units: UnsafeMutableBufferPointer<Unit>

    /// `keys` must be distinct and non-empty; `values[i]` is stored at the end of `keys[i]`.
    init(keys: [[UInt8]], values: [Int32]) {
        let order = keys.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
        var builder = Builder()
        builder.place(node: 0, order: order[...], depth: 0, keys: keys, values: values)
        // 256 empty units past the last used one: base + byte of any node stays inside the
        // buffer, so a walk needs no bounds check (an empty unit's check is -1, never a node).
        builder.ensure(builder.highest + 257)
        units = .allocate(capacity: builder.highest + 257)
        _ = units.initialize(from: builder.units[0..<(builder.highest + 257)])
    }

    /// Sets each node's `score` to `score(value)`.
    func fillScores(_ score: (Int32) -> Float) {
        for i in 0..<units.count where units[i].value >= 0 { units[i].score = score(units[i].value) }
    }

    /// True when some key starts with byte `b`.
    func hasKey(startingWith b: UInt8) -> Bool {
        let t = Int(units[0].base) + Int(b)
        return Int(units[t].check) == 0
    }

    deinit { units.deallocate() }

    /// Longest key that is a prefix of `input[0..<count]`, as (length, value), or nil.
    /// Length of the longest key that is a prefix of `input[0..<count]`, or 0.
    @inline(__always)
    func longestPrefixLength(_ input: UnsafePointer<UInt8>, _ count: Int) -> Int {
        let u = units
        var node = 0
        var best = 0
        for i in 0..<count {
            let t = Int(u[node].base) + Int(input[i])
            guard Int(u[t].check) == node else { break }
            node = t
            if u[node].value >= 0 { best = i + 1 }
        }
        return best
    }

    /// Places nodes breadth-first within each subtree, choosing for each node the first base
    /// whose slots are free. Free slots form a doubly linked list, so the search visits only
    /// free slots and most nodes (one child) take the first one.
    private struct Builder {
        var units = [Unit(base: 1, check: -1, value: -1, score: 0)]
        var used = [true]
        /// Free-slot list: `next[i]`/`prev[i]` link free slot i; `head` is the first free slot
        /// (the array end when none), and slots past the array end are implicitly free.
        var next: [Int] = [1]
        var prev: [Int] = [0]
        var head = 1
        var highest = 0

        mutating func ensure(_ size: Int) {
            guard units.count < size else { return }
            let old = units.count
            let grow = max(size - old, old / 2)
            units.append(contentsOf: repeatElement(Unit(base: 0, check: -1, value: -1, score: 0), count: grow))
            used.append(contentsOf: repeatElement(false, count: grow))
            // New slots old..<old+grow join the list in order; the list's last element, whose
            // `next` pointed at `old` (the old end), continues into them.
            for i in old..<(old + grow) {
                next.append(i + 1)
                prev.append(i - 1)
            }
            if head >= old { head = old }
        }

        mutating func occupy(_ i: Int) {
            used[i] = true
            let n = next[i], p = prev[i]
            if head == i {
                head = n
            } else {
                next[p] = n
            }
            if n < next.count { prev[n] = p }
        }

        /// Places the children of `node` (the keys of `order` share their first `depth` bytes)
        /// and recurses into each child.
        mutating func place(node: Int, order: ArraySlice<Int>, depth: Int, keys: [[UInt8]], values: [Int32]) {
            var rest = order[...]
            if let first = rest.first, keys[first].count == depth {
                units[node].value = values[first]
                rest = rest.dropFirst()
            }
            guard !rest.isEmpty else { return }
            // Group the remaining keys by their byte at `depth` (they are sorted, so groups are runs).
            var labels: [Int] = []
            var groups: [ArraySlice<Int>] = []
            var groupStart = rest.startIndex
            for i in rest.indices {
                let c = Int(keys[rest[i]][depth])
                if labels.last != c {
                    if !labels.isEmpty { groups.append(rest[groupStart..<i]) }
                    labels.append(c)
                    groupStart = i
                }
            }
            groups.append(rest[groupStart..<rest.endIndex])

            let base = findBase(labels)
            units[node].base = Int32(base)
            for c in labels {
                occupy(base + c)
                units[base + c].check = Int32(node)
                highest = max(highest, base + c)
            }
            for (c, group) in zip(labels, groups) {
                place(node: base + c, order: group, depth: depth + 1, keys: keys, values: values)
            }
        }

        /// The first base >= 1 whose slots for `labels` are all free, trying the free slots in
        /// order as the slot of the first label.
        mutating func findBase(_ labels: [Int]) -> Int {
            ensure(labels[0] + 2)
            var position = head
            while true {
                ensure(position + 257)
                let base = position - labels[0]
                if base >= 1 && labels.allSatisfy({ !used[base + $0] }) { return base }
                position = next[position]
            }
        }
    }
}

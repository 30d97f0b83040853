/// A byte trie of pieces in double-array form: the child of node `s` on byte `c` is
/// `t = base[s] + c` when `check[t] == s`. One array read per input byte, no hashing, no
/// pointers, so the Viterbi pass walks it at memory speed.
///
/// Every piece string ends at a node; `value` holds the id stored there (or -1). Built once
/// per model from the sorted piece strings.
struct PieceTrie: Sendable {
    struct Unit: Sendable {
        var base: Int32
        var check: Int32
        var value: Int32
    }

    let units: [Unit]

    /// `keys` must be distinct and non-empty; `values[i]` is stored at the end of `keys[i]`.
    init(keys: [[UInt8]], values: [Int32]) {
        let order = keys.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
        var builder = Builder()
        builder.place(node: 0, order: order[...], depth: 0, keys: keys, values: values)
        units = Array(builder.units[0...builder.highest])
    }

    /// Longest key that is a prefix of `input[0..<count]`, as (length, value), or nil.
    func longestPrefix(_ input: UnsafePointer<UInt8>, _ count: Int) -> (length: Int, value: Int32)? {
        units.withUnsafeBufferPointer { u -> (Int, Int32)? in
            var node = 0
            var best: (Int, Int32)?
            for i in 0..<count {
                let t = Int(u[node].base) + Int(input[i])
                guard t < u.count, Int(u[t].check) == node else { break }
                node = t
                if u[node].value >= 0 { best = (i + 1, u[node].value) }
            }
            return best
        }
    }

    private struct Builder {
        var units = [Unit(base: 1, check: -1, value: -1)]
        var used = [true]
        var firstFree = 1
        var highest = 0

        mutating func ensure(_ size: Int) {
            guard units.count < size else { return }
            let grow = max(size - units.count, units.count / 2)
            units.append(contentsOf: repeatElement(Unit(base: 0, check: -1, value: -1), count: grow))
            used.append(contentsOf: repeatElement(false, count: grow))
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
                used[base + c] = true
                units[base + c].check = Int32(node)
                highest = max(highest, base + c)
            }
            while firstFree < used.count && used[firstFree] { firstFree += 1 }
            for (c, group) in zip(labels, groups) {
                place(node: base + c, order: group, depth: depth + 1, keys: keys, values: values)
            }
        }

        /// The smallest base >= 1 whose slots for `labels` are all free, scanning from the first
        /// free slot (first fit keeps the array dense).
        mutating func findBase(_ labels: [Int]) -> Int {
            var position = max(firstFree, labels[0] + 1)
            while true {
                let base = position - labels[0]
                ensure(base + 256 + 1)
                if !used[position] && labels.allSatisfy({ !used[base + $0] }) { return base }
                position += 1
            }
        }
    }
}

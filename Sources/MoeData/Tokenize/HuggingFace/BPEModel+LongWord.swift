/// Merging for long words (a run of digits, spaces or letters thousands long), where rescanning
/// every pair after each merge would take quadratic time: the library's own algorithm, a priority
/// queue of (rank, position) over a linked list of symbols (`Word::merge_all`).
extension BPEModel {
    func mergeLong(_ scratch: BPEScratch) {
        let n = scratch.symbols.count
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        scratch.heap.removeAll(keepingCapacity: true)
        for k in 0..<n {
            scratch.previous.append(Int32(k - 1))
            scratch.next.append(k + 1 < n ? Int32(k + 1) : -1)
        }
        // Entries are rank << 32 | position: the smallest is the lowest rank, then the leftmost.
        var heap = MinHeap(storage: scratch.heap)
        for k in 0..<(n - 1) {
            let m = merges.merge(scratch.symbols[k], scratch.symbols[k + 1])
            if m != UInt64.max { heap.push(m & 0xFFFF_FFFF_0000_0000 | UInt64(k)) }
        }
        var alive = [Bool](repeating: true, count: n)
        while let top = heap.pop() {
            let at = Int(top & 0xFFFF_FFFF)
            let right = Int(scratch.next[at])
            guard alive[at], right >= 0 else { continue }
            // A stale entry: the pair at `at` changed since (its rank would differ).
            let m = merges.merge(scratch.symbols[at], scratch.symbols[right])
            guard m != UInt64.max, m >> 32 == top >> 32 else { continue }
            scratch.symbols[at] = UInt32(truncatingIfNeeded: m)
            alive[right] = false
            let after = Int(scratch.next[right])
            scratch.next[at] = Int32(after)
            if after >= 0 { scratch.previous[after] = Int32(at) }
            let before = Int(scratch.previous[at])
            if before >= 0 {
                let p = merges.merge(scratch.symbols[before], scratch.symbols[at])
                if p != UInt64.max { heap.push(p & 0xFFFF_FFFF_0000_0000 | UInt64(before)) }
            }
            if after >= 0 {
                let p = merges.merge(scratch.symbols[at], scratch.symbols[after])
                if p != UInt64.max { heap.push(p & 0xFFFF_FFFF_0000_0000 | UInt64(at)) }
            }
        }
        scratch.heap = heap.storage
        var kept = 0
        var k = 0
        while k >= 0 && k < n {
            scratch.symbols[kept] = scratch.symbols[k]
            kept += 1
            k = Int(scratch.next[k])
        }
        scratch.symbols.removeLast(n - kept)
    }
}

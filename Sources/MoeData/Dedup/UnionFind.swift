/// Union-find over the documents of near-duplicate pairs, each cluster's root its smallest key:
/// the root is the cluster's survivor. Only documents of some pair are held.
struct UnionFind {
    private var parent: [DocumentKey: DocumentKey] = [:]

    mutating func find(_ x: DocumentKey) -> DocumentKey {
        var root = x
        while let up = parent[root], up != root { root = up }
        var node = x
        while let up = parent[node], up != root {
            parent[node] = root
            node = up
        }
        return root
    }

    mutating func union(_ x: DocumentKey, _ y: DocumentKey) {
        if parent[x] == nil { parent[x] = x }
        if parent[y] == nil { parent[y] = y }
        let (rx, ry) = (find(x), find(y))
        guard rx != ry else { return }
        if rx < ry { parent[ry] = rx } else { parent[rx] = ry }
    }

    /// Every document that is not its cluster's root, with the root, in key order.
    mutating func members() -> [(member: DocumentKey, root: DocumentKey)] {
        parent.keys.sorted().compactMap { key in
            let root = find(key)
            return root == key ? nil : (key, root)
        }
    }
}

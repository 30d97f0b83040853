/// Token embedding: row `id` of the [V, d] table.
public enum Embedding {
    @_specialize(where T == Float)
    public static func forward<T: TrainScalar>(
        x: UnsafeMutablePointer<T>, table: UnsafePointer<T>, ids: [Int32], d: Int
    ) {
        for (t, id) in ids.enumerated() { (x + t * d).update(from: table + Int(id) * d, count: d) }
    }

    /// `dtable[id] += dx[t]` (several tokens may share an id, so it must accumulate).
    @_specialize(where T == Float)
    public static func backward<T: TrainScalar>(
        dtable: UnsafeMutablePointer<T>, dx: UnsafePointer<T>, ids: [Int32], d: Int
    ) {
        for (t, id) in ids.enumerated() {
            let row = dtable + Int(id) * d, g = dx + t * d
            for c in 0..<d { row[c] += g[c] }
        }
    }
}

/// Global row numbers over a dataset's shards, in shard order: row `g` of the dataset is row
/// `g - firstRow(ofShard: s)` of the shard `s` that holds it.
public struct RowLocator: Sendable, Equatable {
    /// Rows in each shard (index.json's `samples`).
    public let shardRows: [Int]
    /// `firstRows[s]` is the global number of shard s's first row; one more entry holds the total.
    private let firstRows: [Int]

    public init(shardRows: [Int]) {
        self.shardRows = shardRows
        var firstRows = [0]
        for n in shardRows { firstRows.append(firstRows[firstRows.count - 1] + n) }
        self.firstRows = firstRows
    }

    public var rowCount: Int { firstRows[firstRows.count - 1] }
    public var shardCount: Int { shardRows.count }

    public func firstRow(ofShard shard: Int) -> Int { firstRows[shard] }

    /// The shard holding global row `row` and the row's number inside it; nil outside 0..<rowCount.
    public func locate(_ row: Int) -> (shard: Int, row: Int)? {
        guard row >= 0, row < rowCount else { return nil }
        // The first shard that ends after `row` (empty shards end where they start, so they are skipped).
        var low = 0, high = shardRows.count - 1
        while low < high {
            let mid = (low + high) / 2
            if firstRows[mid + 1] > row { high = mid } else { low = mid + 1 }
        }
        return (low, row - firstRows[low])
    }
}

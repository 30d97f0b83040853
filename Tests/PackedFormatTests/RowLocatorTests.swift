import PackedFormat
import Testing

struct RowLocatorTests {
    @Test func everyRowIsFoundInItsShardEmptyShardsSkipped() {
        let locator = RowLocator(shardRows: [3, 0, 2, 0, 1])
        #expect(locator.rowCount == 6 && locator.shardCount == 5)
        let found = (0..<6).compactMap { locator.locate($0) }.map { [$0.shard, $0.row] }
        #expect(found == [[0, 0], [0, 1], [0, 2], [2, 0], [2, 1], [4, 0]])
        #expect(locator.firstRow(ofShard: 2) == 3 && locator.firstRow(ofShard: 4) == 5)
        #expect(locator.locate(-1) == nil && locator.locate(6) == nil)
        #expect(RowLocator(shardRows: []).locate(0) == nil)
    }
}

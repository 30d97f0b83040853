import Foundation
import PackedFormat

/// `moe-data bench rows`: the trainer's data path alone, on a build's rows. A fresh `PackedDataset`
/// and a shuffled `RowStream`, as `moe-data train` opens them, deliver `rows` rows (shards
/// decompressed, hashed and decoded, compact rows expanded), and each row becomes a one-row
/// `TokenBatch`, as a micro-batch of the trainer does. Both parts are timed apart.
public enum RowReadBenchmark {
    public struct Result: Sendable {
        public var layout: PackedRowLayout
        public var rows: Int
        /// Tokens in the rows' batches (padding removed).
        public var tokens: Int
        /// Opening the dataset and reading the rows (`RowStream.next()`).
        public var readSeconds: Double
        /// Making the rows' `TokenBatch`es.
        public var batchSeconds: Double

        public var rowsPerSecond: Double { Double(rows) / readSeconds }
        /// Rows per second of the whole data path (read + batch).
        public var pathRowsPerSecond: Double { Double(rows) / (readSeconds + batchSeconds) }
    }

    /// Reads `rows` rows (nil: one epoch) of the dataset at `path` (a build output or its packed/).
    public static func run(path: URL, rows: Int?, seed: UInt64 = 0) throws -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let dataset = try PackedDataset(path: path)
        let stream = RowStream(dataset: dataset, shuffle: true, seed: seed)
        let count = rows ?? dataset.rowCount
        var batch = start - start
        var tokens = 0
        for _ in 0..<count {
            let row = try stream.next()
            let batchStart = clock.now
            tokens += try TokenBatch(rows: [row], vocabSize: dataset.info.paddedVocabSize).count
            batch += clock.now - batchStart
        }
        let read = clock.now - start - batch
        return Result(
            layout: dataset.info.layout, rows: count, tokens: tokens, readSeconds: seconds(read),
            batchSeconds: seconds(batch))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

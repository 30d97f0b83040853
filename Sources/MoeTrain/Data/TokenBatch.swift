import PackedFormat

/// The tokens of a micro-batch as the model sees them: padding removed, rows concatenated, and the
/// packed examples kept apart as contiguous `segments` (attention never crosses one).
///
/// seqio's decoder convention: the input at i is 0 (BOS = pad) at a segment's first token, else
/// tokens[i−1]; the model predicts tokens[i]; the loss counts where loss_mask[i] == 1.
public struct TokenBatch: Sendable {
    public var inputs: [Int32] = []
    public var targets: [Int32] = []
    public var lossMask: [UInt8] = []
    public var positions: [Int32] = []
    public var prefix: [UInt8] = []
    public var segments: [Range<Int>] = []
    public var rows = 0

    public var count: Int { inputs.count }
    public var lossRows: [Int32] { lossMask.indices.filter { lossMask[$0] != 0 }.map { Int32($0) } }
    public var targetCount: Int { lossMask.reduce(0) { $0 + Int($1) } }
    public var maxPosition: Int { Int(positions.max() ?? 0) }

    /// Checks every row against the packed-row contract and the model's vocabulary; errors name the row
    /// and position.
    public init(rows: [PackedRow], vocabSize: Int) throws {
        self.rows = rows.count
        for row in rows {
            let n = row.tokens.count
            guard row.lossMask.count == n, row.segmentIds.count == n, row.positions.count == n, row.prefix.count == n
            else {
                throw TrainError(
                    "\(row.origin): columns have different lengths (tokens \(n), loss_mask \(row.lossMask.count), "
                        + "segment_ids \(row.segmentIds.count), positions \(row.positions.count), prefix "
                            + "\(row.prefix.count))"
                )
            }
            var i = 0
            while i < n {
                let seg = row.segmentIds[i]
                if seg == 0 {
                    if row.lossMask[i] != 0 {
                        throw TrainError("\(row.origin): position \(i) is padding (segment 0) but has loss_mask 1")
                    }
                    i += 1
                    continue
                }
                let start = count
                var j = i
                while j < n && row.segmentIds[j] == seg {
                    let token = row.tokens[j]
                    guard Int(token) < vocabSize else {
                        throw TrainError(
                            "\(row.origin): token id \(token) at position \(j) is outside the model's "
                                + "vocabulary of \(vocabSize) (embedding rows); the data was tokenized with a "
                                    + "larger vocabulary"
                        )
                    }
                    guard Int(row.positions[j]) == j - i else {
                        throw TrainError(
                            "\(row.origin): position \(j) has positions = \(row.positions[j]), expected \(j - i) "
                                + "(positions restart at 0 in each segment)")
                    }
                    inputs.append(j == i ? 0 : Int32(row.tokens[j - 1]))
                    targets.append(Int32(token))
                    lossMask.append(row.lossMask[j] != 0 ? 1 : 0)
                    positions.append(Int32(j - i))
                    prefix.append(row.prefix[j] != 0 ? 1 : 0)
                    j += 1
                }
                segments.append(start..<count)
                i = j
            }
        }
    }
}

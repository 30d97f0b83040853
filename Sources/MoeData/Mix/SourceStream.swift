import Foundation
import PackedFormat

/// Where a source's reader stands: enough integers to resume without replaying anything.
public struct SourceCursor: Codable, Sendable, Equatable {
    /// Pass over the source, from 0; each epoch has its own shuffle.
    public var epoch: Int
    /// Index of the current document in the epoch's shuffled order.
    public var position: Int
    /// Tokens of that document already consumed (documents longer than a chunk are split).
    public var offset: Int

    public init(epoch: Int = 0, position: Int = 0, offset: Int = 0) {
        self.epoch = epoch
        self.position = position
        self.offset = offset
    }
}

/// One source's tokens as a stream in a seeded order (`SourceDocuments`: blocks of documents in
/// canonical order, shuffled per epoch, and documents shuffled within each block). The order is a
/// pure function of (seed, source, epoch, the source's documents), so the cursor alone locates
/// any position.
struct SourceStream {
    let documents: SourceDocuments
    let maxEpochs: Int
    var cursor: SourceCursor

    /// A source that ran out: `taken` tokens of the request were delivered before it did.
    struct Exhausted: Error {
        let taken: Int
    }

    /// Appends up to `count` tokens to `chunk`, concatenating consecutive documents (T5's
    /// reduce_concat) and splitting a document that does not fit. Throws `Exhausted` when
    /// the last allowed epoch ends first.
    mutating func take(_ count: Int, into chunk: inout MixedChunk) throws {
        var remaining = count
        while remaining > 0 {
            if cursor.position >= documents.count {
                guard cursor.epoch + 1 < maxEpochs else { throw Exhausted(taken: count - remaining) }
                cursor = SourceCursor(epoch: cursor.epoch + 1)
                continue
            }
            let doc = try documents.document(epoch: cursor.epoch, position: cursor.position)
            if doc.isRemoved {
                cursor.position += 1
                continue
            }
            let k = min(doc.length - cursor.offset, remaining)
            if k > 0 {
                if !documents.counting {
                    chunk.tokens.append(contentsOf: doc.tokens[cursor.offset..<(cursor.offset + k)])
                }
                chunk.length += k
                chunk.pieces.append(RawPiece(docId: doc.id, offset: cursor.offset, count: k))
                cursor.offset += k
                remaining -= k
            }
            if cursor.offset >= doc.length {
                chunk.docEnds.append(chunk.length)
                cursor.position += 1
                cursor.offset = 0
            }
        }
    }
}

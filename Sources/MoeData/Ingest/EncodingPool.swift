import Foundation

/// Threads that encode the documents of submitted batches, oldest batch first, while the caller
/// reads and writes: the ingest's encoding no longer waits for the write of the batch before it,
/// nor the write for the whole next batch.
///
/// The unit of work is a piece of a document (`Tokenizer.encodePieces`): a document over
/// `Tokenizer.maxEncodeBytes` is cut at line breaks as `Tokenizer.encode` cuts it, and its pieces
/// run on every thread, so one huge document does not hold the others up. A document's ids are
/// its pieces' ids in order: the same ids as `encode`, whichever thread made them.
///
/// `finish(_:)` makes the caller a worker too until its batch is done, so `workers` threads plus
/// the caller keep `workers + 1` cores busy, never more.
final class EncodingPool: @unchecked Sendable {
    private let tokenizer: Tokenizer
    private let condition = NSCondition()
    /// Submitted batches with pieces nobody took yet, oldest first.
    private var open: [EncodingBatch] = []
    private var closed = false
    private let threads = DispatchGroup()

    init(tokenizer: Tokenizer, workers: Int) {
        self.tokenizer = tokenizer
        for _ in 0..<max(0, workers) {
            threads.enter()
            Thread { [self] in
                while let (batch, piece) = take(waiting: true) { encode(piece, of: batch) }
                threads.leave()
            }.start()
        }
    }

    /// Queues the documents of `events` (skip events have nothing to encode).
    func submit(_ events: [RecordEvent]) -> EncodingBatch {
        let batch = EncodingBatch(events)
        condition.withLock {
            if !batch.isDone {
                open.append(batch)
                condition.broadcast()
            }
        }
        return batch
    }

    /// The ids of each document of `batch`, in order, once all are encoded (the caller encodes
    /// pieces meanwhile); the error of the first failing piece, if any.
    func finish(_ batch: EncodingBatch) throws -> [[UInt32]] {
        while !condition.withLock({ batch.isDone }) {
            if let (owner, piece) = take(waiting: false) {
                encode(piece, of: owner)
            } else {
                condition.withLock { while !batch.isDone { condition.wait() } }
            }
        }
        return try batch.documentIds()
    }

    /// Ends the threads once the pieces they took are encoded (pieces not taken are dropped).
    func close() {
        condition.withLock {
            closed = true
            open.removeAll()
            condition.broadcast()
        }
        threads.wait()
    }

    /// The oldest piece nobody took; with `waiting`, waits for one (nil once closed).
    private func take(waiting: Bool) -> (EncodingBatch, Int)? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if closed { return nil }
            if let batch = open.first {
                let piece = batch.nextPiece
                batch.nextPiece += 1
                if batch.nextPiece == batch.pieces.count { open.removeFirst() }
                return (batch, piece)
            }
            guard waiting else { return nil }
            condition.wait()
        }
    }

    private func encode(_ piece: Int, of batch: EncodingBatch) {
        let (document, range) = batch.pieces[piece]
        let result = Result {
            try batch.texts[document].withUnsafeBytes {
                try tokenizer.encodeWhole(utf8: UnsafeRawBufferPointer(rebasing: $0[range]))
            }
        }
        condition.withLock {
            batch.results[piece] = result
            batch.piecesDone += 1
            if batch.isDone { condition.broadcast() }
        }
    }
}

/// The documents of one read batch on their way through an `EncodingPool`: their texts, the
/// pieces they are cut into, and each piece's ids once encoded. Its mutable state is the pool's,
/// under the pool's lock.
final class EncodingBatch: @unchecked Sendable {
    let texts: [[UInt8]]
    /// (document, byte range) of every piece, documents in order, each document's pieces in order.
    let pieces: [(document: Int, range: Range<Int>)]
    var results: [Result<[UInt32], any Error>?]
    var nextPiece = 0
    var piecesDone = 0

    init(_ events: [RecordEvent]) {
        var texts: [[UInt8]] = []
        for case .document(let d) in events { texts.append(d.text) }
        var pieces: [(document: Int, range: Range<Int>)] = []
        for (i, text) in texts.enumerated() {
            // An empty document is one empty piece: it has no tokens, and the write step says so.
            for range in text.withUnsafeBytes({ Tokenizer.encodePieces(utf8: $0) }) { pieces.append((i, range)) }
        }
        self.texts = texts
        self.pieces = pieces
        results = Array(repeating: nil, count: pieces.count)
    }

    var isDone: Bool { piecesDone == pieces.count }

    /// Each document's ids: its pieces' ids joined. Throws the error of the first failing piece,
    /// so the error reported does not depend on which thread failed first.
    func documentIds() throws -> [[UInt32]] {
        var ids = [[UInt32]](repeating: [], count: texts.count)
        for (k, piece) in pieces.enumerated() {
            guard let result = results[k] else { throw MoeDataError("internal error: a piece was not encoded") }
            let pieceIds = try result.get()
            if ids[piece.document].isEmpty {
                ids[piece.document] = pieceIds
            } else {
                ids[piece.document].append(contentsOf: pieceIds)
            }
        }
        return ids
    }
}

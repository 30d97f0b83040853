/// One source's ingest: read → tokenize → write, one batch of records at a time, files in
/// order. Each step does its own work and keeps its own counters; this only passes batches
/// along and keeps the progress line up to date.
///
/// With one job everything runs on the calling thread, one batch after the other. With more,
/// the steps overlap (`run(pipelined:)`): a thread reads ahead, `jobs - 1` threads encode, and
/// the calling thread writes each batch, in order, then encodes too; the batches, their ids and
/// the order of writes and commits are the same, so the shards and the catalog are too.
struct IngestSteps {
    let read: RecordReadStep
    let tokenize: TokenizeStep
    var write: TokenWriteStep
    let progress: ProgressLine
    /// Batches read ahead of the one being written, and batches being encoded ahead of it. Four
    /// (16 MiB of text, about 0.45 s of one core's encoding) cover the writer's compression of a
    /// full 64 MiB shard (0.2 to 0.3 s), which with two the other encoders ran out of work during.
    static let batchesAhead = 4

    /// Ingests `units` (whole files, or the pieces of a task) from `start` on (the cursor of a
    /// killed run, or the first record). Records are numbered by their line in the whole file, so
    /// a cursor inside a piece works as one inside a file.
    mutating func run(_ units: [IngestUnit], from start: RecordPosition) throws {
        let remaining = units.filter { $0.fileIndex >= start.fileIndex }
        if tokenize.jobs > 1 {
            try run(pipelined: remaining, from: start)
        } else {
            try run(inOrder: remaining, from: start)
        }
        try write.finish()
    }

    private mutating func run(inOrder units: [IngestUnit], from start: RecordPosition) throws {
        let read = self.read
        for unit in units {
            let hash = try read.contentHash(unit)
            let bytesBefore = progress.bytesRead
            let resumeRecord = unit.fileIndex == start.fileIndex ? start.record : 0
            let (rest, problem) = try read.read(unit, from: resumeRecord) { batch, bytesRead in
                let read = bytesBefore + min(unit.bytes, bytesRead)
                try take(batch, encoded: try tokenize.encode(batch), bytesRead: read)
            }
            try take(rest, encoded: try tokenize.encode(rest), bytesRead: bytesBefore + unit.bytes)
            finish(unit, contentHash: hash, problem: problem)
        }
    }

    private mutating func run(pipelined units: [IngestUnit], from start: RecordPosition) throws {
        let reader = RecordReadAhead(
            read: read, units: units, resumeFile: start.fileIndex, resumeRecord: start.record,
            aheadBatches: IngestSteps.batchesAhead)
        let pool = EncodingPool(tokenizer: tokenize.tokenizer, workers: tokenize.jobs - 1)
        defer {
            reader.stop()
            pool.close()
        }
        // Messages read and submitted for encoding, oldest first.
        var ahead: [(message: RecordReadAhead.Message, batch: EncodingBatch?)] = []
        var readerDone = false
        func fill() {
            while !readerDone && ahead.count < IngestSteps.batchesAhead {
                guard let message = reader.next() else { readerDone = true; break }
                switch message {
                case .batch(let events, _), .unitEnd(let events, _, _): ahead.append((message, pool.submit(events)))
                case .failure: ahead.append((message, nil))
                }
            }
        }
        var units = units[...]
        var bytesBefore = progress.bytesRead
        fill()
        while !ahead.isEmpty {
            let (message, batch) = ahead.removeFirst()
            let encoded = try batch.map { try pool.finish($0) } ?? []
            fill()  // the encoders go on with the next batches while this one is written
            guard let unit = units.first else { throw MoeDataError("internal error: a batch after the last file") }
            switch message {
            case .batch(let events, let bytesRead):
                try take(events, encoded: encoded, bytesRead: bytesBefore + min(unit.bytes, bytesRead))
            case .unitEnd(let rest, let problem, let hash):
                try take(rest, encoded: encoded, bytesRead: bytesBefore + unit.bytes)
                finish(unit, contentHash: hash, problem: problem)
                units = units.dropFirst()
                bytesBefore = progress.bytesRead
            case .failure(let error):
                throw error
            }
        }
    }

    /// Writes a batch (the progress line first counts the bytes read, so a shard committed in it
    /// records them).
    private mutating func take(_ batch: [RecordEvent], encoded: [[UInt32]], bytesRead: Int) throws {
        progress.bytesRead = bytesRead
        guard !batch.isEmpty else { return }
        try write.write(batch, encoded: encoded, progress: progress)
        progress.update()
    }

    private mutating func finish(_ unit: IngestUnit, contentHash: String, problem: SkipRecord?) {
        write.finishFile(unit, hash: contentHash, error: problem)
        progress.filesDone += 1
        progress.update()
    }
}

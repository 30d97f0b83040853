/// One source's ingest: read → tokenize → write, one batch of records at a time, files in
/// order. Each step does its own work and keeps its own counters; this only passes batches
/// along and keeps the progress line up to date.
struct IngestSteps {
    let read: RecordReadStep
    let tokenize: TokenizeStep
    var write: TokenWriteStep
    let progress: ProgressLine

    /// Ingests `units` (whole files, or the pieces of a task) from `start` on (the cursor of a
    /// killed run, or the first record). Records are numbered by their line in the whole file, so
    /// a cursor inside a piece works as one inside a file.
    mutating func run(_ units: [IngestUnit], from start: RecordPosition) throws {
        let read = self.read
        for unit in units where unit.fileIndex >= start.fileIndex {
            let hash = try read.contentHash(unit)
            let bytesBefore = progress.bytesRead
            let resumeRecord = unit.fileIndex == start.fileIndex ? start.record : 0
            let (rest, problem) = try read.read(unit, from: resumeRecord) { batch, bytesRead in
                // Before the batch is written: a shard committed in it records the bytes read so far.
                progress.bytesRead = bytesBefore + min(unit.bytes, bytesRead)
                try pass(batch)
                progress.update()
            }
            progress.bytesRead = bytesBefore + unit.bytes
            try pass(rest)
            write.finishFile(unit, hash: hash, error: problem)
            progress.filesDone += 1
            progress.update()
        }
        try write.finish()
    }

    private mutating func pass(_ batch: [RecordEvent]) throws {
        guard !batch.isEmpty else { return }
        try write.write(batch, encoded: try tokenize.encode(batch), progress: progress)
    }
}

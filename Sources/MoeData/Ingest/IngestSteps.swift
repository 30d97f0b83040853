/// One source's ingest: read → tokenize → write, one batch of records at a time, files in
/// order. Each step does its own work and keeps its own counters; this only passes batches
/// along and keeps the progress line up to date.
struct IngestSteps {
    let read: RecordReadStep
    let tokenize: TokenizeStep
    var write: TokenWriteStep
    let progress: ProgressLine

    /// Ingests `files` from `start` on (the cursor of a killed run, or the first record).
    mutating func run(files: [InputFile], from start: RecordPosition) throws {
        let read = self.read
        for fileIndex in start.fileIndex..<files.count {
            let file = files[fileIndex]
            let hash = try read.contentHash(file.path)
            let bytesBefore = progress.bytesRead
            let resumeRecord = fileIndex == start.fileIndex ? start.record : 0
            let (rest, problem) = try read.read(file, fileIndex: fileIndex, from: resumeRecord) { batch, bytesRead in
                try pass(batch)
                progress.bytesRead = bytesBefore + min(file.size, bytesRead)
                progress.update()
            }
            try pass(rest)
            write.finishFile(fileIndex, file: file, hash: hash, error: problem)
            progress.filesDone += 1
            progress.bytesRead = bytesBefore + file.size
            progress.update()
        }
        try write.finish()
    }

    private mutating func pass(_ batch: [RecordEvent]) throws {
        guard !batch.isEmpty else { return }
        try write.write(batch, encoded: try tokenize.encode(batch), progress: progress)
    }
}

import FileSupport
import Foundation
import MDS

/// The ingest's read step: one input file's records, in file order, handed over in batches cut
/// at `batchBytes` of text (or 8192 records). Record-level problems arrive as skip events in the
/// batches; a problem with the file itself comes back as one file-level skip.
struct RecordReadStep {
    let source: SourceSpec
    let policy: ErrorPolicy
    let maxDocumentBytes: Int
    let batchBytes: Int

    /// Reads a file, or a piece of one, from record `resumeRecord` on. Full batches go to `take`
    /// with the bytes read of the unit (for progress); the last, partial one is returned with the
    /// problem of the file, if any (`on_error: fail` throws it instead).
    ///
    /// "No records in file" is said only of a whole file: of a file split between tasks, the merge
    /// says it when no piece found a record.
    func read(
        _ unit: IngestUnit, from resumeRecord: Int,
        take: ([RecordEvent], _ bytesRead: Int) throws -> Void
    )
        throws -> (rest: [RecordEvent], problem: SkipRecord?)
    {
        let file = unit.file, fileIndex = unit.fileIndex
        var problem: SkipRecord?
        var batch: [RecordEvent] = []
        var bytes = 0
        var sawRecord = resumeRecord > 0 || unit.piece != nil
        var reader: (any RecordReader)?
        var bytesBefore = 0
        do {
            let input = try unit.recordInput()
            bytesBefore = input?.bytesBefore ?? 0
            reader = try makeRecordReader(
                file: file, fileIndex: fileIndex, source: source,
                maxDocumentBytes: maxDocumentBytes, input: input, rowGroupBytes: unit.rowGroupBytes,
                fromRecord: resumeRecord)
        } catch {
            problem = fault(error, file: file, fileIndex: fileIndex)
        }
        while var r = reader {
            let next: RecordEvent?
            do { next = try r.next() } catch { problem = fault(error, file: file, fileIndex: fileIndex); break }
            reader = r
            guard let event = next else { break }
            if case .document(let d) = event, d.position.record < resumeRecord { continue }
            if case .skip(let s) = event, s.position.record < resumeRecord { continue }
            sawRecord = true
            if case .skip(let s) = event, policy == .fail {
                throw MoeDataError(
                    "\(s.location): \(s.reason) (source '\(source.name)'; "
                        + "set on_error: skip to count such records and go on)")
            }
            if case .document(let d) = event { bytes += d.text.count }
            batch.append(event)
            if bytes >= batchBytes || batch.count >= 8192 {
                try take(batch, r.bytesRead - bytesBefore)
                batch.removeAll(keepingCapacity: true)
                bytes = 0
            }
        }
        if !sawRecord && problem == nil {
            problem = SkipRecord(
                kind: .file, file: file.path, line: nil, offset: 0,
                reason: file.size == 0 ? "empty file" : "no records in file",
                position: RecordPosition(fileIndex: fileIndex, record: 0))
        }
        if policy == .fail, let problem {
            throw MoeDataError(
                "\(problem.location): \(problem.reason) (source '\(source.name)'; "
                    + "set on_error: skip to record such files and go on)")
        }
        return (batch, problem)
    }

    /// Only faults of the reader itself (truncated or corrupt compression, I/O errors) become
    /// file-level skips: what was read before the fault is kept, the fault is recorded once.
    func fault(_ error: any Error, file: InputFile, fileIndex: Int) -> SkipRecord {
        let text = "\(error)"
        let reason = text.hasPrefix(file.path + ": ") ? String(text.dropFirst(file.path.count + 2)) : text
        return SkipRecord(
            kind: .file, file: file.path, line: nil, offset: nil, reason: reason,
            position: RecordPosition(fileIndex: fileIndex, record: Int.max))
    }

    /// xxh64 of a unit's bytes on disk (the whole file, or the piece's range), read in 4 MiB chunks.
    func contentHash(_ unit: IngestUnit) throws -> String {
        var src: any ByteSource = try FileByteSource(path: unit.file.path)
        if let piece = unit.piece {
            src = FileRangeByteSource(file: try PositionalFile(path: unit.file.path), range: piece.bytes)
        }
        var h = XXH64()
        var buf = [UInt8](repeating: 0, count: 4 << 20)
        while true {
            let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return XXH64.hex(h.digest())
    }
}

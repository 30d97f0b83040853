import Foundation

/// A document's id and tokens by its key, from the work files of the source pass (`.documents`:
/// where each id ends and its tokens; `.ids`: the ids end to end), read where they lie.
final class DocumentLookup {
    private let documents: [RecordFileReader]
    private let ids: [FileHandle]
    private let counts: [Int]

    init(layout: DedupLayout, sources: [String]) throws {
        documents = try sources.map {
            try RecordFileReader(url: layout.workFile($0, "documents"), recordSize: DedupLayout.documentRecordSize)
        }
        ids = try sources.map { try FileHandle(forReadingFrom: layout.workFile($0, "ids")) }
        counts = sources.map { source in
            let path = layout.workFile(source, "documents").path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return size / DedupLayout.documentRecordSize
        }
    }

    deinit { for handle in ids { try? handle.close() } }

    /// Documents of the source of rank `rank`.
    func count(_ rank: Int) -> Int { counts[rank] }

    func document(_ key: DocumentKey) throws -> (docId: String, tokens: Int) {
        let record = try documents[key.rank].record(at: key.ordinal)[...]
        let end = record.bigEndianUInt64(at: 0)
        let start =
            key.ordinal == 0 ? 0 : try documents[key.rank].record(at: key.ordinal - 1)[...].bigEndianUInt64(at: 0)
        let handle = ids[key.rank]
        try handle.seek(toOffset: start)
        let bytes = try handle.read(upToCount: Int(end - start)) ?? Data()
        return (String(decoding: bytes, as: UTF8.self), Int(record.bigEndianUInt64(at: 8)))
    }
}

import Foundation
import MDS

/// The documents of a source's token shards, in canonical order, with their texts: the source's
/// files are read again with ingest's readers in ingest's order, and each record is matched to the
/// next document of the shards by its id. Records ingest skipped (bad records, empty documents,
/// repeated ids) match none and are passed over. Token shards keep ids, not text, and the fineweb
/// normalization needs the text; shards stream one at a time, so memory holds one shard. Without
/// `withText` (token-id shingles only) the files are not opened: the shards alone are read.
final class IngestedTextScan {
    let source: SourceSpec
    private let files: [InputFile]
    private let maxDocumentBytes: Int
    private let policy: ErrorPolicy
    private let withText: Bool
    private let dataset: MDSDataset
    private let tokensColumn: Int
    private let docIdColumn: Int
    private var shardIndex = 0
    private var shard: MDSShard?
    private var sample = 0
    private var ordinal = 0
    private var fileIndex = 0
    private var reader: (any RecordReader)?

    init(source: SourceSpec, manifest: Manifest, directory: URL, withText: Bool = true) throws {
        self.source = source
        self.withText = withText
        files = withText ? InputFiles.list(source).files : []
        maxDocumentBytes = manifest.maxDocumentBytes
        policy = manifest.onError
        do { dataset = try MDSDataset(directory: directory) } catch {
            throw MoeDataError("\(directory.path): cannot open the token dataset of source '\(source.name)': \(error)")
        }
        let columns = dataset.index.shards.first?.columns ?? []
        tokensColumn = columns.firstIndex { $0.name == "tokens" } ?? 0
        docIdColumn = columns.firstIndex { $0.name == "doc_id" } ?? 0
    }

    /// The next document of the shards with its text, or nil after the last one.
    func next() throws -> IngestedDocument? {
        guard let (docId, tokens) = try nextShardDocument() else { return nil }
        guard withText else {
            defer { ordinal += 1 }
            return IngestedDocument(ordinal: ordinal, docId: docId, tokenIds: tokens, text: [])
        }
        while let document = try nextRecord() {
            guard document.docId == docId else { continue }
            defer { ordinal += 1 }
            return IngestedDocument(ordinal: ordinal, docId: docId, tokenIds: tokens, text: document.text)
        }
        throw MoeDataError(
            "source '\(source.name)': document \(docId) of the token shards is not in the source's files any more; "
                + "the files changed since ingest: run `moe-data ingest` (or `build`) again")
    }

    /// (doc_id, token ids) of the shards' next document.
    private func nextShardDocument() throws -> (String, [UInt32])? {
        while shard.map({ sample >= $0.count }) ?? true {
            guard shardIndex < dataset.index.shards.count else { return nil }
            do { shard = try dataset.shard(shardIndex) } catch {
                throw MoeDataError("source '\(source.name)': \(error)")
            }
            shardIndex += 1
            sample = 0
        }
        guard let shard else { return nil }
        let values = try shard.sample(sample)
        sample += 1
        guard let id = values[docIdColumn].string, let tokens = values[tokensColumn].uint32s else {
            throw MoeDataError("source '\(source.name)': shard \(shardIndex - 1) sample \(sample - 1) lacks doc_id")
        }
        return (id, tokens)
    }

    /// The next record read from the source's files (skips and unreadable files passed over as
    /// ingest did: a file that fails ends under `skip`, and was an error of ingest under `fail`).
    private func nextRecord() throws -> Document? {
        while fileIndex < files.count {
            do {
                if reader == nil {
                    reader = try makeRecordReader(
                        file: files[fileIndex], fileIndex: fileIndex, source: source, maxDocumentBytes: maxDocumentBytes
                    )
                }
                while let event = try reader?.next() {
                    if case .document(let document) = event { return document }
                }
            } catch {
                guard policy == .skip else { throw error }
            }
            reader = nil
            fileIndex += 1
        }
        return nil
    }
}

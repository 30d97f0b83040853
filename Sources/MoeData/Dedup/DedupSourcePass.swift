import Foundation

/// The first pass of the dedup stage over one source: each document of its token shards, read again
/// with its text when the settings need it (`IngestedTextScan`), then, on `jobs` threads, its exact
/// hash, MinHash signature and band keys, and its first evaluation match; all written to the
/// source's work files in canonical order (so they never depend on `jobs`). The `.done` file,
/// written last, holds the settings' digest: a killed stage skips the sources whose pass finished.
struct DedupSourcePass {
    /// The settings, and where the work files go.
    let spec: DedupSpec, layout: DedupLayout
    /// nil without `near:` (no signatures, no bucket keys) and without `decontaminate:`.
    let minHasher: MinHasher?, evaluation: EvaluationNgrams?
    /// Threads that compute a batch's features.
    let jobs: Int
    /// Documents per parallel batch (a batch is also cut at 8 MiB of text).
    var batchDocuments = 1024

    struct Features {
        var exact: [UInt8]?
        var signature: [UInt64] = []
        var passage: Int?
    }

    struct Writers {
        let documents: RecordFileWriter
        let ids: RecordFileWriter
        let exact: RecordFileWriter?
        let signatures: RecordFileWriter?
        let bands: RecordFileWriter?
        let contamination: RecordFileWriter?

        var all: [RecordFileWriter] { [documents, ids] + [exact, signatures, bands, contamination].compactMap { $0 } }
    }

    /// Whether the source's pass finished with these settings (`digest`).
    func isDone(_ source: String, digest: String) -> Bool {
        (try? String(contentsOf: layout.workFile(source, "done"), encoding: .utf8)) == digest
    }

    /// Runs the pass over `source` (rank: its place in the survival order; scope: its records' scope).
    /// Only the documents whose canonical numbers are in `range` are hashed and written (a task's share).
    func run(
        _ scan: IngestedTextScan, rank: Int, scope: UInt16, digest: String, range: Range<Int> = 0..<Int.max
    ) throws -> Int {
        let name = scan.source.name
        try? FileManager.default.removeItem(at: layout.workFile(name, "done"))
        try FileManager.default.createDirectory(at: layout.work, withIntermediateDirectories: true)
        let writers = Writers(
            documents: try RecordFileWriter(url: layout.workFile(name, "documents")),
            ids: try RecordFileWriter(url: layout.workFile(name, "ids")),
            exact: spec.exact == nil ? nil : try RecordFileWriter(url: layout.workFile(name, "exact")),
            signatures: minHasher == nil ? nil : try RecordFileWriter(url: layout.workFile(name, "signatures")),
            bands: minHasher == nil ? nil : try RecordFileWriter(url: layout.workFile(name, "bands")),
            contamination: evaluation == nil ? nil : try RecordFileWriter(url: layout.workFile(name, "contamination")))
        var batch: [IngestedDocument] = []
        var batchBytes = 0
        var count = 0
        func flush() throws {
            let computed = try Parallel.map(batch.count, jobs: jobs) { self.features(of: batch[$0]) }
            for (document, feature) in zip(batch, computed) {
                try write(document, feature, rank: rank, scope: scope, to: writers)
            }
            count += batch.count
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        while let document = try scan.next(), document.ordinal < range.upperBound {
            guard range.contains(document.ordinal) else { continue }
            batch.append(document)
            batchBytes += document.text.count + 4 * document.tokens
            if batch.count >= batchDocuments || batchBytes >= 8 << 20 { try flush() }
        }
        try flush()
        for writer in writers.all { try writer.close() }
        try Data(digest.utf8).write(to: layout.workFile(name, "done"), options: .atomic)
        return count
    }

    func features(of document: IngestedDocument) -> Features {
        var features = Features()
        if let normalization = spec.exact {
            features.exact = SHA256.hash(TextNormalizer.normalize(document.text, normalization))
        }
        if let minHasher, minHasher.spec.shingles == .tokens {
            features.signature = minHasher.signature(minHasher.shingles(tokenIds: document.tokenIds))
        }
        guard minHasher?.spec.shingles == .words || evaluation != nil else { return features }
        let words = TextNormalizer.words(document.text)
        if let minHasher, minHasher.spec.shingles == .words {
            features.signature = minHasher.signature(minHasher.shingles(words))
        }
        if let evaluation { features.passage = evaluation.match(words) }
        return features
    }

    private func write(
        _ document: IngestedDocument, _ features: Features, rank: Int, scope: UInt16, to writers: Writers
    ) throws {
        let key = DocumentKey(rank: rank, ordinal: document.ordinal).value
        try writers.ids.append(document.docId.utf8)
        try writers.documents.append(bigEndian: UInt64(writers.ids.count))
        try writers.documents.append(bigEndian: UInt64(document.tokens))
        let scopeBytes = [UInt8(scope >> 8), UInt8(scope & 0xFF)]
        if let exact = writers.exact, let hash = features.exact {
            try exact.append(scopeBytes + hash)
            try exact.append(bigEndian: key)
        }
        if let signatures = writers.signatures, let minHasher {
            var values = features.signature
            if values.isEmpty { values = [UInt64](repeating: 0, count: minHasher.spec.permutations) }
            try signatures.append(values.withUnsafeBytes { Array($0) })
        }
        if let bands = writers.bands, let minHasher, !features.signature.isEmpty {
            for (band, bucket) in minHasher.bandKeys(features.signature).enumerated() {
                try bands.append(scopeBytes + [UInt8(band)])
                try bands.append(bigEndian: bucket)
                try bands.append(bigEndian: key)
            }
        }
        if let contamination = writers.contamination, let passage = features.passage {
            try contamination.append(bigEndian: UInt64(document.ordinal))
            try contamination.append(bigEndian: UInt64(passage))
        }
    }
}

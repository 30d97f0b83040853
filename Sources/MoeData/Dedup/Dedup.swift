import FileSupport
import Foundation
import MDS

/// `moe-data dedup`: the stage between ingest and mix that removes exact and near duplicates and
/// contaminated documents, as the manifest's `dedup:` asks, recording each removal with its survivor.
///
/// 1. Per source (`DedupSourcePass`): each document's text read again, hashed, signed and checked
///    against the evaluation n-grams, into work files on disk, in canonical order, on `jobs` threads.
/// 2. Contamination: the flagged documents (removed under `action: remove`).
/// 3. Exact (`ExactClusters`), then near (`NearClusters`) among what is left: records sorted
///    externally, in memory bounded by `buffer`, groups and clusters; the smallest key survives.
/// 4. The removals go to `<output>/dedup/removed/` (what the mixer skips) and, in one transaction, to
///    the catalog with the stage's signature: the stage is up to date while the signature matches.
/// A killed stage resumes after the sources whose pass finished.
public struct Dedup {
    public struct Options: Sendable {
        public var jobs = ProcessInfo.processInfo.activeProcessorCount
        public var quiet = false
        public init() {}
    }

    public let manifest: Manifest
    public let spec: DedupSpec
    public let options: Options

    public init(manifest: Manifest, options: Options) throws {
        guard let spec = manifest.dedup else {
            throw MoeDataError("\(manifest.path): has no dedup: section; add one to say what to remove")
        }
        self.manifest = manifest
        self.spec = spec
        self.options = options
    }

    var layout: DedupLayout { DedupLayout(outputDirectory: manifest.output) }
    var tokensDirectory: URL { URL(fileURLWithPath: manifest.output).appendingPathComponent("tokens") }

    /// Sources in survival order: the `keep` list, then the others in manifest order. A source's rank
    /// is its place here.
    var ranked: [SourceSpec] {
        spec.keep.compactMap { manifest.source(named: $0) } + manifest.sources.filter { !spec.keep.contains($0.name) }
    }

    /// What the result depends on: the settings, the evaluation files and every source's ingest (its
    /// catalog signature and its token index).
    func digest(catalog: Catalog) throws -> String {
        var parts = ["dedup 1", String(describing: spec)]
        // The evaluation files' contents (they are small): an edited evaluation set is checked again.
        for path in spec.decontaminate?.paths ?? [] {
            parts.append(XXH64.hex(XXH64.hash(FileManager.default.contents(atPath: path) ?? Data())))
        }
        for source in manifest.sources {
            parts.append(try catalog.sourceState(source.name)?.signature ?? "")
            parts.append(try RemovedDocuments.indexDigest(tokensDirectory.appendingPathComponent(source.name)))
        }
        return XXH64.hex(XXH64.hash(Array(parts.joined(separator: "\n").utf8)))
    }

    /// Runs the stage, or reports it up to date.
    public func run(catalog: Catalog) throws -> DedupReport {
        try FaultPoint.checkSetting()
        let digest = try digest(catalog: catalog)
        let sources = ranked
        let files = sources.map {
            RemovedDocuments.file(
                outputDirectory: layout.root.deletingLastPathComponent(),
                source: $0.name)
        }
        if try catalog.value("dedup.signature") == digest,
            files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) })
        {
            return try DedupReport(catalog: catalog, manifest: manifest, upToDate: true)
        }
        let evaluation = try spec.decontaminate.map(EvaluationNgrams.init)
        if let tasks = try DedupTask.split(in: layout.sharedWork) {
            try joinTasks(tasks, sources: sources, digest: digest)
        }
        try firstPass(layout: layout, sources: sources, evaluation: evaluation, digest: digest)
        let removals = try cluster(sources: sources, evaluation: evaluation)
        try record(removals, sources: sources, evaluation: evaluation, digest: digest, catalog: catalog)
        return try DedupReport(catalog: catalog, manifest: manifest, upToDate: false)
    }

    /// The first pass over each source whose pass is not done (in `layout`'s work folder); a task
    /// takes its range of each source's documents.
    func firstPass(
        layout: DedupLayout, sources: [SourceSpec], evaluation: EvaluationNgrams?, digest: String
    ) throws {
        let pass = DedupSourcePass(
            spec: spec, layout: layout, minHasher: spec.near.map(MinHasher.init), evaluation: evaluation,
            jobs: options.jobs)
        for (rank, source) in sources.enumerated() where !pass.isDone(source.name, digest: digest) {
            let directory = tokensDirectory.appendingPathComponent(source.name)
            let scan = try IngestedTextScan(
                source: source, manifest: manifest, directory: directory, withText: spec.needsText)
            let scope = spec.scope == .within ? UInt16(rank) : 0
            let documents = try MDSIndex.read(from: directory).shards.reduce(0) { $0 + $1.samples }
            let range = layout.task?.range(documents: documents) ?? 0..<documents
            let count = try pass.run(scan, rank: rank, scope: scope, digest: digest, range: range)
            try FaultPoint.dedupSourceDone.reached()
            if !options.quiet {
                let task = layout.task.map { " (\($0.name))" } ?? ""
                FileHandle.standardError.write(Data("dedup: \(source.name)\(task): \(count) documents\n".utf8))
            }
        }
    }

    /// Contamination, then exact, then near: each among the documents the ones before left.
    func cluster(sources: [SourceSpec], evaluation: EvaluationNgrams?) throws -> [DedupRemoval] {
        var removals = try contamination(sources)
        var excluded = Set(removals.filter(\.removed).map(\.key))
        if spec.exact != nil {
            let sort = ExternalSort(
                recordSize: DedupLayout.exactRecordSize, bufferBytes: spec.bufferBytes, directory: layout.work,
                name: "exact")
            let exact = try ExactClusters(sort: sort).removals(
                sources.map { layout.workFile($0.name, "exact") }, excluded: excluded)
            excluded.formUnion(exact.map(\.key))
            removals += exact
        }
        if let near = spec.near {
            let signatures = try sources.map {
                try RecordFileReader(url: layout.workFile($0.name, "signatures"), recordSize: near.permutations * 8)
            }
            let sort = ExternalSort(
                recordSize: DedupLayout.bandRecordSize, bufferBytes: spec.bufferBytes, directory: layout.work,
                name: "bands")
            let clusters = NearClusters(sort: sort, threshold: near.threshold) { key in
                try signatures[key.rank].record(at: key.ordinal).withUnsafeBytes {
                    Array($0.bindMemory(to: UInt64.self))
                }
            }
            removals += try clusters.removals(sources.map { layout.workFile($0.name, "bands") }, excluded: excluded)
        }
        return removals.sorted { $0.key < $1.key }
    }

    /// The documents sharing an n-gram with an evaluation passage.
    func contamination(_ sources: [SourceSpec]) throws -> [DedupRemoval] {
        guard let decontaminate = spec.decontaminate else { return [] }
        var removals: [DedupRemoval] = []
        for (rank, source) in sources.enumerated() {
            let reader = try RecordFileReader(
                url: layout.workFile(source.name, "contamination"), recordSize: DedupLayout.contaminationRecordSize)
            while let record = try reader.next() {
                removals.append(
                    DedupRemoval(
                        key: DocumentKey(rank: rank, ordinal: Int(record.bigEndianUInt64(at: 0))), kind: .contamination,
                        kept: nil, passage: Int(record.bigEndianUInt64(at: 8)), jaccard: nil,
                        removed: decontaminate.action == .remove))
            }
        }
        return removals
    }

    /// Writes the mixer's removal files, then the catalog's rows, signature and stats.
    func record(
        _ removals: [DedupRemoval], sources: [SourceSpec], evaluation: EvaluationNgrams?, digest: String,
        catalog: Catalog
    ) throws {
        let lookup = try DocumentLookup(layout: layout, sources: sources.map(\.name))
        var rows: [Catalog.DedupRemovalRow] = []
        for removal in removals {
            let (docId, tokens) = try lookup.document(removal.key)
            var keptSource = "eval"
            var keptDocId = removal.passage.map { evaluation?.passages[$0] ?? "" } ?? ""
            if let kept = removal.kept {
                keptSource = sources[kept.rank].name
                keptDocId = try lookup.document(kept).docId
            }
            rows.append(
                Catalog.DedupRemovalRow(
                    source: sources[removal.key.rank].name, ordinal: removal.key.ordinal, docId: docId, tokens: tokens,
                    kind: removal.kind.rawValue, keptSource: keptSource, keptDocId: keptDocId,
                    jaccard: removal.jaccard, removed: removal.removed))
        }
        for (rank, source) in sources.enumerated() {
            let ordinals = removals.filter { $0.removed && $0.key.rank == rank }.map(\.key.ordinal)
            try RemovedDocuments.write(
                ordinals, sourceDirectory: tokensDirectory.appendingPathComponent(source.name),
                to: RemovedDocuments.file(outputDirectory: layout.root.deletingLastPathComponent(), source: source.name)
            )
        }
        let documents = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1.name, lookup.count($0)) })
        let stats = DedupMatrix(rows: rows, sources: manifest.sources.map(\.name), documents: documents)
        try catalog.recordDedup(rows, signature: digest, stats: stats.json.encoded())
    }
}

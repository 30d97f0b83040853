import Foundation
import JSON
import MDS

/// `moe-data build`: ingest (reusing what exists) → mix → objectives → pack → write, end to end.
///
/// Data flows one way: the mixer hands over one example's raw tokens from one source at a time
/// (the source with the largest deficit against the phase's exact targets), the phase's
/// objective turns them into an example (UL2: a denoiser drawn by the example's index; causal:
/// documents with EOS), and the packer fills rows of the phase's length. Rows are written as MDS
/// shards; when a shard is written, the catalog commits it with a checkpoint (the mixer's few
/// integers, the example index and the open row's examples), so a killed build resumes to the
/// same bytes. Nothing here depends on thread timing: `--jobs` threads tokenize, and compress
/// and write the packed shards (`RowWriteStep`) while the mixer, objectives and packer run, and
/// the rows are encoded, on this thread, so the rows and the checkpoints are the same whatever
/// `--jobs` is.
public struct Build {
    public struct Options: Sendable {
        public var ingest = Ingest.Options()
        public var totalTokens: Int?
        public var restart = false
        /// Raw bytes per packed shard.
        public var shardSizeBytes: Int?
        /// Token datasets opened before the tokenizer was loaded (`OpenedSources`), for `--jobs`
        /// above 1.
        public var openedSources: OpenedSources?
        public init() {}
    }

    public let manifest: Manifest
    public let mixture: Mixture
    public let options: Options

    public init(manifest: Manifest, mixture: Mixture, options: Options) {
        self.manifest = manifest
        self.mixture = mixture
        self.options = options
    }

    public var packedDirectory: URL {
        URL(fileURLWithPath: manifest.output).appendingPathComponent(PackedRows.directoryName)
    }

    var domains: [String: String] {
        Dictionary(manifest.sources.map { ($0.name, $0.domain) }, uniquingKeysWith: { a, _ in a })
    }

    /// Runs the whole job: ingest, then the build steps (`BuildSteps`), then the publication.
    /// `progress` shows ingest progress; the build reports in the summary.
    public func run(catalog: Catalog, tokenizer: Tokenizer, progress: ProgressLine) throws -> Summary {
        // Sources opened early and not taken stop decoding, whichever way this returns.
        defer { options.openedSources?.dropRest() }
        try FaultPoint.checkSetting()
        let seed = mixture.seed
        // Everything the build could refuse later is refused here, before anything is written.
        let checked = try mixture.validateForBuild(
            knownSources: Set(manifest.sources.map(\.name)),
            tokenizer: tokenizer, seed: seed)
        let ingest = Ingest(manifest: manifest, options: options.ingest)
        let ingested = try ingest.run(catalog: catalog, tokenizer: tokenizer, progress: progress)
        progress.finish()
        let removed = try Dedup.beforeMix(
            manifest, catalog: catalog, jobs: options.ingest.jobs, quiet: options.ingest.quiet)
        let available = Dictionary(
            ingested.map { ($0.name, $0.totals.tokens - (removed[$0.name] ?? 0)) }, uniquingKeysWith: { _, b in b })
        try MixturePlan(mixture: mixture, available: available, domains: domains).check()

        let signature = try self.signature(
            schedule: try MixSchedule(mixture), seed: seed, tokenizer: tokenizer,
            catalog: catalog)
        if let finished = try finishedBuild(signature: signature, catalog: catalog, tokenizer: tokenizer, seed: seed) {
            try BuildSliceFiles(outputDirectory: manifest.output).remove()
            return finished
        }
        if let merged = try mergeSlices(signature: signature, catalog: catalog, tokenizer: tokenizer, seed: seed) {
            return merged
        }
        let resume = try interruptedBuild(signature: signature, catalog: catalog)
        // Opened before anything is removed: a source without tokens is refused with the old rows intact.
        var steps = try BuildSteps(
            mixture: mixture, objectives: checked.map(\.objective),
            tokensDirectory: ingest.tokensDirectory, seed: seed,
            resumingFrom: resume?.checkpoint, readAhead: options.ingest.jobs > 1, opened: options.openedSources)
        options.openedSources?.dropRest()
        if resume == nil {
            // packed/ (a previous, complete build) stays until the new rows replace it.
            try publisher.remove(publisher.partial)
            try catalog.startBuild(signature: signature, dataset: PackedRows.directoryName)
        }
        var rows = RowWriteStep(
            writer: try packedWriter(in: publisher.partial, existing: resume?.shards ?? []), catalog: catalog,
            signature: signature, layout: manifest.packedFormat, jobs: options.ingest.jobs)
        do { try steps.run(writingTo: &rows) } catch {
            rows.abandon()
            throw error
        }
        let lastShard = try rows.flush()
        let (counters, accounting) = (steps.counters, steps.mix.accounting)
        if options.ingest.jobs > 1 {
            // The shard buffers and the token shards' decode buffers (about 400 MB with 2 jobs) are
            // unmapped on another thread while this one commits and publishes: 24 ms otherwise.
            releaseInBackground((consume steps, consume rows))
        }
        var result = summary(counters, accounting: accounting, upToDate: false)
        result.resumedAfterRows = resume?.checkpoint.rows
        try finish(
            result, counters: counters, accounting: accounting, lastShard: lastShard,
            catalog: catalog, tokenizer: tokenizer, seed: seed, writtenFrom: resume?.shards.count ?? 0)
        return result
    }

    /// The writer of `directory` (`packed.partial/`, or a slice's folder), after the shards an
    /// interrupted build committed.
    func packedWriter(in directory: URL, existing: [MDSShardEntry]) throws -> MDSWriter {
        let lengths = Set(mixture.phases.map(\.seqLen))
        let writer = try MDSWriter(
            directory: directory,
            columns: PackedRows.columns(
                rowLength: lengths.count == 1 ? lengths.first : nil, layout: manifest.packedFormat),
            compressionLevel: manifest.compressionLevel,
            sizeLimit: options.shardSizeBytes ?? manifest.shardSizeBytes, existing: existing)
        writer.beforeRename = { try FaultPoint.packedShardTemporary.reached() }
        // The last shard is compressed when every row is made: on all the build's cores, in a frame
        // that is the same for any count of them, so the rows' bytes do not depend on `--jobs`.
        writer.lastShardCompressionWorkers = max(1, options.ingest.jobs)
        return writer
    }

    /// Records the build as done (the last shard, the summary and the accounting in one
    /// transaction), then puts the rows in place. `writtenFrom`: the first shard this process wrote
    /// (the ones after it were hashed as they were written; see `PackedPublisher.Expected`).
    func finish(
        _ result: Summary, counters: [PhaseCounters], accounting: MixAccounting, lastShard: MDSShardEntry?,
        catalog: Catalog, tokenizer: Tokenizer, seed: UInt64, writtenFrom: Int? = nil
    ) throws {
        let stats = JSONValue.object([
            "text": .string(render(result, accounting: accounting)),
            "phases": phasesJSON(result),
        ])
        try catalog.finishBuild(
            Catalog.BuildResult(
                lastShard: lastShard, summary: String(decoding: try JSONEncoder().encode(counters), as: UTF8.self),
                accounting: String(decoding: try JSONEncoder().encode(accounting), as: UTF8.self),
                statsMixture: stats.encoded(), mixtureRows: accounting.rows(includeWindows: true)),
            dataset: PackedRows.directoryName)
        try FaultPoint.packedFinalCommitted.reached()
        guard
            try publish(catalog: catalog, tokenizer: tokenizer, seed: seed, rows: result.rows, writtenFrom: writtenFrom)
                != .missing
        else {
            throw MoeDataError(
                "\(publisher.partial.path): the rows just written are not all there; run the build again")
        }
    }
}

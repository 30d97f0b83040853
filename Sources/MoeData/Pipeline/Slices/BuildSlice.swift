import Foundation
import MDS

/// `moe-data build --slices K --slice I`: builds slice I of K of the rows (`BuildSlicing`), in a
/// process of its own, after the ingest.
///
/// The slice computes where it starts by simulating the build from the document lengths the
/// catalog holds (`SliceStartSearch`), then builds its rows from real tokens into
/// `slices/slice-NNNNN/`, committing each shard to its own catalog with the checkpoint that
/// resumes after it, as a whole build does: a killed slice resumes to the same bytes. It reads
/// the output's catalog and token shards and writes nothing else, so any number of slices run at
/// once, on any hosts that share the output folder.
public struct BuildSlice {
    public enum Outcome: Sendable {
        /// The slice wrote `rows` rows now (`resumedAfterRows`: a killed run's rows kept), after a
        /// simulation of `simulatedTokens` source tokens that took `simulationSeconds`.
        case built(rows: Int, resumedAfterRows: Int?, simulatedTokens: Int, simulationSeconds: Double)
        /// The slice was already built with this signature.
        case upToDate(rows: Int)
    }

    public let build: Build
    public let index: Int
    public let count: Int

    public init(build: Build, index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw MoeDataError("--slice \(index) is not a slice of --slices \(count) (slices are 0 to \(count - 1))")
        }
        self.build = build
        self.index = index
        self.count = count
    }

    var files: BuildSliceFiles { BuildSliceFiles(outputDirectory: build.manifest.output) }

    public func run(tokenizer: Tokenizer, arguments: [String] = CommandLine.arguments) throws -> Outcome {
        try FaultPoint.checkSetting()
        let mixture = build.mixture
        let checked = try mixture.validateForBuild(
            knownSources: Set(build.manifest.sources.map(\.name)), tokenizer: tokenizer, seed: mixture.seed)
        try FileManager.default.createDirectory(at: files.directory, withIntermediateDirectories: true)
        let lock = try OutputLock(
            lockFile: files.lockPath(index),
            holding: "\(build.manifest.output) (\(BuildSliceFiles.name(index)))", arguments: arguments)
        defer { withExtendedLifetime(lock) {} }
        let main = try Catalog(path: mainCatalogPath, readOnly: true)
        let ingest = Ingest(manifest: build.manifest, options: build.options.ingest)
        let ingested = try ingest.completedSources(catalog: main, tokenizer: tokenizer)
        let available = Dictionary(ingested.map { ($0.name, $0.totals.tokens) }, uniquingKeysWith: { _, last in last })
        try MixturePlan(mixture: mixture, available: available, domains: build.domains).check()
        let schedule = try MixSchedule(mixture)
        let slicing = try BuildSlicing(count: count, schedule: schedule)
        let signature = try build.signature(
            schedule: schedule, seed: mixture.seed, tokenizer: tokenizer, catalog: main)

        let catalog = try Catalog(path: files.catalogPath(index), rollbackJournal: true)
        if let rows = try finishedRows(catalog: catalog, signature: signature) { return .upToDate(rows: rows) }
        let rowsDirectory = files.rowsDirectory(index)
        // The signature does not hold the slicing: a killed slice resumes only as the same slice of as many.
        let sameSlice =
            try catalog.value("slice.count") == String(count) && catalog.value("slice.index") == String(index)
        let resume =
            sameSlice
            ? try build.interruptedBuild(signature: signature, catalog: catalog, directory: rowsDirectory) : nil
        let objectives = checked.map(\.objective)
        var dropFirst = false
        var simulated = (tokens: 0, seconds: 0.0)
        let checkpoint: BuildCheckpoint?
        if let resume {
            checkpoint = resume.checkpoint
        } else {
            try PackedPublisher(output: URL(fileURLWithPath: build.manifest.output)).remove(rowsDirectory)
            try catalog.startBuild(signature: signature, dataset: PackedRows.directoryName)
            try catalog.setValue("slice.index", String(index))
            try catalog.setValue("slice.count", String(count))
            let started = Date()
            let (start, end) = try searchStart(
                slicing: slicing, objectives: objectives, signature: signature, main: main)
            simulated = (end.map { slicing.position($0.mixer) } ?? 0, Date().timeIntervalSince(started))
            switch start {
            case .atFirstRow:
                checkpoint = nil
            case .afterRow(let found):
                checkpoint = found
                dropFirst = true
            case .empty:
                // The simulation ran to the end: its counters are the build's.
                try finish(catalog: catalog, lastShard: nil, state: end)
                return .built(
                    rows: 0, resumedAfterRows: nil, simulatedTokens: simulated.tokens,
                    simulationSeconds: simulated.seconds)
            }
        }
        let jobs = build.options.ingest.jobs
        var steps = try BuildSteps(
            mixture: mixture, objectives: objectives, tokensDirectory: ingest.tokensDirectory,
            seed: mixture.seed, resumingFrom: checkpoint, readAhead: jobs > 1)
        let writer = try build.packedWriter(in: rowsDirectory, existing: resume?.shards ?? [])
        var sink = SliceRowWriter(
            rows: RowWriteStep(
                writer: writer, catalog: catalog, signature: signature, layout: build.manifest.packedFormat,
                jobs: jobs),
            dropFirst: dropFirst, slice: index, slicing: slicing)
        do { try steps.run(writingTo: &sink) } catch {
            sink.rows.abandon()
            throw error
        }
        try finish(
            catalog: catalog, lastShard: try sink.rows.flush(),
            state: StepsEnd(
                mixer: steps.mix.mixer.state, counters: steps.counters, accounting: steps.mix.accounting))
        let kept = try catalog.shardEntries(dataset: PackedRows.directoryName).reduce(0) { $0 + $1.samples }
        return .built(
            rows: kept, resumedAfterRows: resume.map { $0.shards.reduce(0) { $0 + $1.samples } },
            simulatedTokens: simulated.tokens, simulationSeconds: simulated.seconds)
    }

    var mainCatalogPath: String {
        (build.manifest.output as NSString).appendingPathComponent(Catalog.fileName)
    }

    /// Simulates the build from the start on the catalog's document lengths, up to the slice's
    /// first row (slice 0 starts with the first row: nothing to simulate). Returns the simulated
    /// steps' counters and accounting too, where they stopped.
    func searchStart(
        slicing: BuildSlicing, objectives: [any PhaseObjective], signature: String, main: Catalog
    ) throws -> (SliceStartSearch.Start, StepsEnd?) {
        if index == 0 { return (.atFirstRow, nil) }
        var lengths: [String: [[UInt32]?]] = [:]
        for source in slicing.schedule.sources { lengths[source] = try main.documentLengths(source: source) }
        var steps = try CountedBuildSteps(
            mixture: build.mixture, objectives: objectives,
            tokensDirectory: Ingest(manifest: build.manifest, options: build.options.ingest).tokensDirectory,
            seed: build.mixture.seed, documentLengths: lengths)
        let start = try SliceStartSearch(slice: index, slicing: slicing, signature: signature).run(&steps)
        let end = StepsEnd(mixer: steps.mix.mixer.state, counters: steps.counters, accounting: steps.mix.accounting)
        return (start, end)
    }

    /// The rows of this slice when it is already built with `signature` and all its shards are there.
    func finishedRows(catalog: Catalog, signature: String) throws -> Int? {
        guard !build.options.restart, try catalog.value("build.signature") == signature,
            try catalog.value("build.status") == "done", try catalog.value("slice.count") == String(count)
        else { return nil }
        let shards = try catalog.shardEntries(dataset: PackedRows.directoryName)
        guard PackedPublisher.holdsShards(files.rowsDirectory(index), shards, hashing: false) else { return nil }
        return shards.reduce(0) { $0 + $1.samples }
    }

    /// Records the slice as done: its last shard, and the steps' counters and accounting where it
    /// stopped (for the last slice, the whole build's, which the merge reports).
    /// Where the steps stopped (a simulation, or the slice's own build): the mixer's state, and the
    /// counters and accounting so far.
    struct StepsEnd {
        var mixer: MixerState
        var counters: [PhaseCounters]
        var accounting: MixAccounting
    }

    func finish(catalog: Catalog, lastShard: MDSShardEntry?, state: StepsEnd?) throws {
        let encoder = JSONEncoder()
        let counters = state?.counters ?? []
        let accounting = try state.map { String(decoding: try encoder.encode($0.accounting), as: UTF8.self) }
        try catalog.finishBuild(
            Catalog.BuildResult(
                lastShard: lastShard, summary: String(decoding: try encoder.encode(counters), as: UTF8.self),
                accounting: accounting ?? "", statsMixture: "", mixtureRows: []),
            dataset: PackedRows.directoryName)
    }
}

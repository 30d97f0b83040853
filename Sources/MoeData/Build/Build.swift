import Foundation
import FileSupport
import JSON
import MDS
import PackedFormat

/// `moe-data build`: ingest (reusing what exists) → mix → objectives → pack → write, end to end.
///
/// Data flows one way: the mixer hands over one example's raw tokens from one source at a time
/// (the source with the largest deficit against the phase's exact targets), the phase's
/// objective turns them into an example (UL2: a denoiser drawn by the example's index; causal:
/// documents with EOS), and the packer fills rows of the phase's length. Rows are written as MDS
/// shards; when a shard is written, the catalog commits it with a checkpoint (the mixer's few
/// integers, the example index and the open row's examples), so a killed build resumes to the
/// same bytes. Nothing here depends on thread timing: `--jobs` only speeds up tokenization.
public struct Build {
    public struct Options: Sendable {
        public var ingest = Ingest.Options()
        public var totalTokens: Int?
        public var seed: UInt64?
        public var restart = false
        /// Raw bytes per packed shard.
        public var shardSizeBytes: Int?
        public init() {}
    }

    public struct PhaseSummary: Sendable {
        public var name: String
        public var objective: String
        public var rows = 0
        public var examples = 0
        public var sourceTokens = 0
        public var rowTokens = 0
        public var paddingTokens = 0
        public var eosTokens = 0
        public var specialTokens = 0   // sentinels, mode tokens
        public var sourceTokensBySource: [String: Int] = [:]
        public var examplesByDenoiser: [String: Int] = [:]
        public var codeShare: Double = 0
        public var targetCodeShare: Double = 0
    }

    public struct Summary: Sendable {
        public var phases: [PhaseSummary]
        public var rows: Int
        public var upToDate: Bool
        public var packedDirectory: String
        /// Rows already written when this run resumed an interrupted build (nil: not a resume).
        public var resumedAfterRows: Int?
    }

    public let manifest: Manifest
    public let mixture: Mixture
    public let options: Options

    public init(manifest: Manifest, mixture: Mixture, options: Options) {
        self.manifest = manifest
        self.mixture = mixture
        self.options = options
    }

    public var packedDirectory: URL { URL(fileURLWithPath: manifest.output).appendingPathComponent(PackedRows.directoryName) }
    var domains: [String: String] { Dictionary(manifest.sources.map { ($0.name, $0.domain) }, uniquingKeysWith: { a, _ in a }) }

    /// Checkpoint of a build, committed with every packed shard.
    struct Checkpoint: Codable {
        var signature: String
        var exampleIndex: UInt64
        var mixer: MixerState
        /// Examples in the packer's open row, re-added to a fresh packer on resume.
        var openExamples: [ExampleRecord]
        /// Phase of the open row (it lags the mixer's phase until the row is closed).
        var packerPhase: Int
        var accounting: MixAccounting
        var phases: [PhaseCounters]
    }

    struct PhaseCounters: Codable {
        var rows = 0, examples = 0, sourceTokens = 0, rowTokens = 0, paddingTokens = 0, eosTokens = 0, specialTokens = 0
        var examplesByDenoiser: [String: Int] = [:]
    }

    /// An `Example` in checkpoint form.
    struct ExampleRecord: Codable {
        var tokens: [UInt32], lossMask: [UInt8], prefixFlags: [UInt8], source: String, objective: String, denoiser: String?
        var pieces: [[String]]
        init(_ e: Example) {
            tokens = e.tokens; lossMask = e.lossMask; prefixFlags = e.prefixFlags; source = e.source
            objective = e.objective; denoiser = e.denoiser
            pieces = e.pieces.map { [$0.docId, String($0.offset), String($0.count)] }
        }
        var example: Example {
            Example(tokens: tokens, lossMask: lossMask, prefixFlags: prefixFlags, source: source, objective: objective,
                    denoiser: denoiser, pieces: pieces.map { RawPiece(docId: $0[0], offset: Int($0[1]) ?? 0, count: Int($0[2]) ?? 0) })
        }
    }

    /// Runs the whole job. `progress` shows ingest progress; the build reports in the summary.
    public func run(catalog: Catalog, tokenizer: Tokenizer, progress: ProgressLine) throws -> Summary {
        try FaultPoint.checkSetting()
        let seed = mixture.seed
        // Everything the build could refuse later is refused here, before anything is written.
        let checked = try mixture.validateForBuild(knownSources: Set(manifest.sources.map(\.name)),
                                                   tokenizer: tokenizer, seed: seed)
        let ingest = Ingest(manifest: manifest, options: options.ingest)
        let ingested = try ingest.run(catalog: catalog, tokenizer: tokenizer, progress: progress)
        progress.finish()
        var available: [String: Int] = [:]
        for s in ingested { available[s.name] = s.totals.tokens }
        let plan = try MixturePlan(mixture: mixture, available: available, domains: domains)
        try plan.check()

        let schedule = try MixSchedule(mixture)
        // Dictionaries iterate in a per-process order in Swift: encode with sorted keys.
        let sortedEncoder = JSONEncoder()
        sortedEncoder.outputFormatting = [.sortedKeys]
        let objectives = try mixture.phases.map { String(decoding: try sortedEncoder.encode($0.objective), as: UTF8.self) + "|\($0.seqLen)" }
        let sourceSignatures = try manifest.sources.map { try catalog.sourceState($0.name)?.signature ?? "" }.joined(separator: ",")
        let signature = XXH64.hex(XXH64.hash(Array([schedule.digest, String(seed), tokenizer.modelHash, String(tokenizer.sentinelCount),
                                                  sourceSignatures, String(options.shardSizeBytes ?? 0),
                                                  objectives.joined(separator: ";")]
                                                  .joined(separator: "\n").utf8)))
        if !options.restart, try catalog.value("build.signature") == signature, try catalog.value("build.status") == "done",
           let summaryText = try catalog.value("build.summary"), let data = summaryText.data(using: .utf8),
           let counters = try? JSONDecoder().decode([PhaseCounters].self, from: data),
           let accText = try catalog.value("build.accounting"), let acc = try? JSONDecoder().decode(MixAccounting.self, from: Data(accText.utf8)) {
            var result = summary(counters, accounting: acc, upToDate: true)
            // "Up to date" only when the recorded rows are on disk; a kill after the final commit
            // is finished here, and rows that were deleted or damaged are built again below.
            switch try publish(catalog: catalog, tokenizer: tokenizer, seed: seed, rows: result.rows) {
            case .current: return result
            case .published: result.upToDate = false; return result
            case .missing: break
            }
        }

        var checkpoint: Checkpoint?
        if !options.restart, try catalog.value("build.signature") == signature,
           try catalog.value("build.status") == "in_progress",
           let text = try catalog.value("build.checkpoint"), !text.isEmpty {
            do { checkpoint = try JSONDecoder().decode(Checkpoint.self, from: Data(text.utf8)) } catch {
                throw MoeDataError("\(catalog.path): the build checkpoint cannot be read (\(error)); run again with --restart to rebuild from the start")
            }
        }
        var existing: [MDSShardEntry] = []
        if checkpoint != nil {
            existing = try catalog.shardEntries(dataset: PackedRows.directoryName)
            // Shards the checkpoint counts on must still be there, else start again.
            if !PackedPublisher.holdsShards(publisher.partial, existing, hashing: false) {
                checkpoint = nil
                existing = []
            }
        }
        // Opened before anything is removed: a source without tokens is refused with the old rows intact.
        var mixer = try Mixer(mixture: mixture, tokensDirectory: ingest.tokensDirectory, seed: seed,
                              resumeFrom: checkpoint?.mixer)
        if checkpoint == nil {
            // packed/ (a previous, complete build) stays until the new rows replace it.
            try publisher.remove(publisher.partial)
            try catalog.startBuild(signature: signature, dataset: PackedRows.directoryName)
        }

        let lengths = Set(mixture.phases.map(\.seqLen))
        let columns = PackedRows.columns(rowLength: lengths.count == 1 ? lengths.first : nil)
        let writer = try MDSWriter(directory: publisher.partial, columns: columns,
                                   compressionLevel: manifest.compressionLevel,
                                   sizeLimit: options.shardSizeBytes ?? manifest.shardSizeBytes, existing: existing)
        writer.beforeRename = { try FaultPoint.packedShardTemporary.reached() }
        var accounting = checkpoint?.accounting ?? MixAccounting(schedule: schedule)
        var counters = checkpoint?.phases ?? Array(repeating: PhaseCounters(), count: mixture.phases.count)
        var exampleIndex = checkpoint?.exampleIndex ?? 0
        let phaseObjectives = checked.map(\.objective)

        // Phase of the packer's open row (it can lag the mixer's phase at a phase boundary).
        var currentPhase = checkpoint?.packerPhase ?? mixer.phase
        var packer = try Packer(rowLength: mixture.phases[min(currentPhase, mixture.phases.count - 1)].seqLen)
        var openExamples: [Example] = []
        for record in checkpoint?.openExamples ?? [] {
            let e = record.example
            guard try packer.add(e).isEmpty else { throw MoeDataError("\(catalog.path): the build checkpoint's open row overflows; run again with --restart") }
            openExamples.append(e)
        }
        var openTokens: Int { openExamples.reduce(0) { $0 + $1.tokens.count } }

        /// What a resume needs to regenerate, from its first row on, whatever comes next:
        /// the state before an example was drawn, and which examples were already in the open row.
        struct Snapshot {
            var mixer: MixerState
            var exampleIndex: UInt64
            var accounting: MixAccounting
            var counters: [PhaseCounters]
        }
        func snapshot() -> Snapshot {
            Snapshot(mixer: mixer.state, exampleIndex: exampleIndex, accounting: accounting, counters: counters)
        }

        /// Writes a row; if that completes a shard, commits it with the checkpoint that
        /// regenerates this row: `from` (the state before the example that completed the row)
        /// and `open` (the examples of this row that were already packed before that example).
        func emit(_ row: PackedRow, phase: Int, from: Snapshot, open: [Example]) throws {
            let rowsBefore = counters.map { ($0.rows, $0.rowTokens, $0.paddingTokens) }
            counters[phase].rows += 1
            counters[phase].rowTokens += row.tokens.count - row.padding
            counters[phase].paddingTokens += row.padding
            if let shard = try writer.write(PackedRows.values(row, phase: phase)) {
                var resumeCounters = from.counters
                for i in resumeCounters.indices {
                    (resumeCounters[i].rows, resumeCounters[i].rowTokens, resumeCounters[i].paddingTokens) = rowsBefore[i]
                }
                try commit(shard, catalog: catalog, checkpoint: Checkpoint(
                    signature: signature, exampleIndex: from.exampleIndex, mixer: from.mixer,
                    openExamples: open.map(ExampleRecord.init), packerPhase: phase,
                    accounting: from.accounting, phases: resumeCounters))
            }
        }

        /// Packs one example drawn from state `from`. A completed row either holds the open
        /// examples (plus this one if it filled the row exactly), or, when one call completes two
        /// rows, the second holds this example alone.
        func add(_ example: Example, phase: Int, from: Snapshot) throws {
            let before = openExamples
            let rows = try packer.add(example)
            for (i, row) in rows.enumerated() {
                try emit(row, phase: phase, from: from, open: rows.count == 2 && i == 1 ? [] : before)
            }
            if rows.isEmpty { openExamples.append(example) } else { openExamples = packer.pendingExampleCount > 0 ? [example] : [] }
        }

        while currentPhase < mixture.phases.count {
            let from = snapshot()
            if mixer.phase != currentPhase {
                if let last = packer.finish() { try emit(last, phase: currentPhase, from: from, open: openExamples) }
                openExamples = []
                currentPhase = mixer.phase
                if currentPhase >= mixture.phases.count { break }
                packer = try Packer(rowLength: mixture.phases[currentPhase].seqLen)
                continue
            }
            let phase = currentPhase
            switch phaseObjectives[phase] {
            case .ul2(let ul2):
                let d = ul2.denoiserIndex(forExample: exampleIndex)
                guard let chunk = try mixer.next(maxTokens: ul2.rawLength(denoiser: d)) else { continue }
                try accounting.record(chunk)
                let example = try ul2.makeExample(raw: chunk.tokens, pieces: chunk.pieces,
                                                  source: chunk.source, denoiser: d, exampleIndex: exampleIndex)
                exampleIndex += 1
                counters[phase].examples += 1
                counters[phase].sourceTokens += chunk.tokens.count
                counters[phase].eosTokens += 2
                counters[phase].specialTokens += example.tokens.count - chunk.tokens.count - 2
                counters[phase].examplesByDenoiser[ul2.plans[d].denoiser.name, default: 0] += 1
                try add(example, phase: phase, from: from)
            case .causal(let eos):
                // Fill the open row exactly: ask for what is left of it (one token kept for an
                // EOS); a chunk with several document ends overflows by a few EOS tokens, and the
                // overflow starts the next row as its own segment.
                let rowLength = mixture.phases[phase].seqLen
                if rowLength - openTokens < 2 {
                    if let row = packer.finish() { try emit(row, phase: phase, from: from, open: openExamples) }
                    openExamples = []
                }
                let space = rowLength - openTokens
                guard let chunk = try mixer.next(maxTokens: space - 1) else { continue }
                try accounting.record(chunk)
                var chunker = try CausalObjective(seqLen: space, eosId: eos).chunker(source: chunk.source)
                var examples: [Example] = []
                var start = 0
                for piece in chunk.pieces {
                    let end = start + piece.count
                    examples += chunker.add(docId: piece.docId, tokens: chunk.tokens[start..<end], offset: piece.offset,
                                            endsDocument: chunk.docEnds.contains(end))
                    start = end
                }
                if let tail = chunker.finish() { examples.append(tail) }
                exampleIndex += 1
                counters[phase].sourceTokens += chunk.tokens.count
                counters[phase].eosTokens += chunk.docEnds.count
                counters[phase].examples += examples.count
                // Only the first example can complete a row (it fits the open row by construction,
                // the rest go to a fresh row), so `from` regenerates any row completed here.
                for (i, e) in examples.enumerated() {
                    let rowsBefore = packer.rowsEmitted
                    try add(e, phase: phase, from: from)
                    if i > 0 && packer.rowsEmitted != rowsBefore {
                        throw MoeDataError("internal error: a causal chunk completed a row after its first piece")
                    }
                }
            }
        }
        if currentPhase < mixture.phases.count, let last = packer.finish() {
            try emit(last, phase: currentPhase, from: snapshot(), open: openExamples)
        }
        let lastShard = try writer.flush()
        if lastShard != nil { try FaultPoint.packedLastShardWritten.reached() }
        var result = summary(counters, accounting: accounting, upToDate: false)
        result.resumedAfterRows = checkpoint.map { $0.phases.reduce(0) { $0 + $1.rows } }
        try catalog.finishBuild(Catalog.BuildResult(
            lastShard: lastShard, summary: String(decoding: try JSONEncoder().encode(counters), as: UTF8.self),
            accounting: String(decoding: try JSONEncoder().encode(accounting), as: UTF8.self),
            statsMixture: JSONValue.object([
                "text": .string(render(result, accounting: accounting)), "phases": phasesJSON(result)]).encoded(),
            mixtureRows: accounting.rows(includeWindows: true)), dataset: PackedRows.directoryName)
        try FaultPoint.packedFinalCommitted.reached()
        guard try publish(catalog: catalog, tokenizer: tokenizer, seed: seed, rows: result.rows) != .missing else {
            throw MoeDataError(
                "\(publisher.partial.path): the rows just written are not all there; run the build again")
        }
        return result
    }

    var publisher: PackedPublisher { PackedPublisher(output: URL(fileURLWithPath: manifest.output)) }

    /// Writes index.json and moe-data.json from the catalog and puts the rows in place.
    func publish(catalog: Catalog, tokenizer: Tokenizer, seed: UInt64, rows: Int) throws -> PackedPublisher.Outcome {
        let shards = try catalog.shardEntries(dataset: PackedRows.directoryName)
        let index = Array(MDSIndex(shards: shards).json.encoded().utf8)
        let meta = metadata(tokenizer: tokenizer, seed: seed, rows: rows)
        return try publisher.publish(.init(shards: shards, index: index, metadata: meta))
    }

    func commit(_ shard: MDSShardEntry, catalog: Catalog, checkpoint: Checkpoint) throws {
        try FaultPoint.packedShardWritten.reached()
        let text = String(decoding: try JSONEncoder().encode(checkpoint), as: UTF8.self)
        let rows = checkpoint.phases.reduce(0) { $0 + $1.rows }
        try catalog.commitBuildShard(shard, dataset: PackedRows.directoryName, rowsBefore: rows, checkpoint: text)
        try FaultPoint.packedShardCommitted.reached()
    }

    /// `packed/moe-data.json`, from what the catalog records.
    func metadata(tokenizer: Tokenizer, seed: UInt64, rows: Int) -> [UInt8] {
        PackedRows.metadata(tokenizer: tokenizer, mixture: mixture, seed: seed, rows: rows).encoded()
    }

    func summary(_ counters: [PhaseCounters], accounting: MixAccounting, upToDate: Bool) -> Summary {
        let phases = mixture.phases.enumerated().map { i, p -> PhaseSummary in
            var s = PhaseSummary(name: p.name, objective: p.objective.type.rawValue)
            let c = counters[i]
            s.rows = c.rows; s.examples = c.examples; s.sourceTokens = c.sourceTokens; s.rowTokens = c.rowTokens
            s.paddingTokens = c.paddingTokens; s.eosTokens = c.eosTokens; s.specialTokens = c.specialTokens
            s.examplesByDenoiser = c.examplesByDenoiser
            for (j, source) in accounting.schedule.sources.enumerated() {
                s.sourceTokensBySource[source] = accounting.realized[i][j]
            }
            let code = accounting.schedule.sources.indices.filter { domains[accounting.schedule.sources[$0]] == "code" }
            let total = max(1, accounting.realized[i].reduce(0, +))
            s.codeShare = Double(code.reduce(0) { $0 + accounting.realized[i][$1] }) / Double(total)
            let targetTotal = max(1, accounting.schedule.targets[i].reduce(0, +))
            s.targetCodeShare = Double(code.reduce(0) { $0 + accounting.schedule.targets[i][$1] }) / Double(targetTotal)
            return s
        }
        return Summary(phases: phases, rows: phases.reduce(0) { $0 + $1.rows }, upToDate: upToDate, packedDirectory: packedDirectory.path)
    }

    /// The summary `build` prints and `stats` shows.
    public func render(_ s: Summary, accounting: MixAccounting) -> String {
        var out = "Mixture '\(mixture.name)': realized vs target source tokens per phase\n"
        out += accounting.render(domains: domains)
        out += "\nPacked rows (\(s.packedDirectory))\n"
        let rows = s.phases.map { p -> [String] in
            let rowTotal = p.rowTokens + p.paddingTokens
            return [p.name, p.objective, "\(p.rows)", "\(p.examples)", "\(p.sourceTokens)",
                    String(format: "%.4f%%", p.codeShare * 100), String(format: "%.4f%%", p.targetCodeShare * 100),
                    String(format: "%.2f%%", rowTotal > 0 ? Double(p.paddingTokens) / Double(rowTotal) * 100 : 0),
                    "\(p.eosTokens)", "\(p.specialTokens)"]
        }
        out += TextTable.render(header: ["phase", "objective", "rows", "examples", "source tokens", "code share", "target", "padding", "EOS", "mode+sentinel"], rows: rows)
        for p in s.phases where !p.examplesByDenoiser.isEmpty {
            let total = max(1, p.examplesByDenoiser.values.reduce(0, +))
            out += "\nDenoisers in \(p.name) (share of examples)\n"
            out += TextTable.render(header: ["denoiser", "examples", "share"], rows: p.examplesByDenoiser.keys.sorted().map {
                [$0, "\(p.examplesByDenoiser[$0] ?? 0)", String(format: "%.2f%%", Double(p.examplesByDenoiser[$0] ?? 0) / Double(total) * 100)]
            })
        }
        return out
    }
}

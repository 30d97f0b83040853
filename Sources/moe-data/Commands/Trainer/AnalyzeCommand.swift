import ArgumentParser
import Foundation
import JSON
import MoeData
import MoeTrain

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: """
            Routing analysis of trained checkpoints (OpenMoE §4): specialization, stability, drops by position.
            """,
        discussion: """
            Runs each checkpoint in evaluation mode over the same packed rows (spread evenly over the dataset) and \
            records, per MoE layer and token, its id, position, source, domain, top-k experts, gates and whether \
            capacity dropped it. For one MoE layer (default: the middle one) it writes to --out: report.md with the \
            findings and SVG plots (expert shares per domain / code vs text / source, token-id vs position \
            specialization, stability across checkpoints, drop rate by position, expert shares per language, \
            special tokens per domain, neighbouring tokens, and with --probe the probe's drops), and report.json \
            plus CSVs.

            Domains come from <data>/catalog.sqlite (table sources); languages from each document's metadata \
            (`language`/`lang`, also inside a kept `meta` object) in <data>/tokens, else the source's `language`. \
            Give the checkpoints of one run, e.g. those `moe-data train --checkpoint-at 0.1,0.25,0.5,1.0` keeps; \
            the last step is the reference.

            Example:
              moe-data analyze runs/an/checkpoint-step*.safetensors --data out/sample \\
                --rows 64 --out runs/an-report
            """
    )

    @Argument(help: "Checkpoints (.safetensors written by `moe-data train`) of one run.")
    var checkpoints: [String]

    @Option(help: "The `moe-data build` output folder (holding packed/ and catalog.sqlite).")
    var data: String

    @Option(help: "Packed rows to run (spread evenly over the dataset).")
    var rows: Int = 64

    @Option(help: "Capacity factor of the evaluation forward (OpenMoE eval 2.0; training used 1.25).")
    var capacityFactor: Double = 2.0

    @Option(help: "MoE layer to report, 0-based among the MoE layers (default: the middle one).")
    var layer: Int?

    @Option(
        help: ArgumentHelp(
            "Only token ids / positions seen at least this many times count for specialization "
                + "(the paper used 128 on far more data; a position is seen about once per analysed row, so the "
                + "default "
                + "is 32)."))
    var minCount: Int = 32

    @Option(help: "Width of the position buckets of the drop-rate curve.")
    var bucket: Int = 128

    @Option(help: "How many of the most frequent token ids the stability measure follows.")
    var frequentIds: Int = 50

    @Option(help: "Rows per forward (one routing group, as in training); default: the run's --batch-rows.")
    var batchRows: Int?

    @OptionGroup var jobs: JobsOption<BLASJobs>

    @Option(
        help: ArgumentHelp(
            "A JSONL file of documents not in the mixture (`text`, or `instruction`/`prompt` + `response`/`output` "
                + "fields), run at the same capacity factor; their drop rate by position is reported next to the "
                + "training rows' (OpenMoE: out-of-distribution input drops more).",
            valueName: "file.jsonl"))
    var probe: String?

    @Option(
        help: ArgumentHelp(
            "The last checkpoint of a run like the analysed one but with another --seed: the control of "
                + "early routing learning (how alike two independent routers are, experts matched).",
            valueName: "checkpoint"))
    var control: String?

    @Option(help: "Folder for the report.")
    var out: String = "analysis"

    func validate() throws {
        try OptionCheck.int(rows, "--rows", 1...(1 << 20))
        try OptionCheck.double(capacityFactor, "--capacity-factor", 0...100, exclusiveLower: true)
        try OptionCheck.int(layer, "--layer", 0...1024, "0-based among the MoE layers")
        try OptionCheck.int(minCount, "--min-count", 1...OptionCheck.maxCount)
        try OptionCheck.int(bucket, "--bucket", 1...65535)
        try OptionCheck.int(frequentIds, "--frequent-ids", 1...(1 << 24))
        try OptionCheck.int(batchRows, "--batch-rows", 1...(1 << 20))
    }

    func run() throws {
        try BLASThreads.requireLibrary()
        BLASThreads.set(jobs.count)
        HeapReuse.enable()
        let dataset = try PackedDataset(path: URL(fileURLWithPath: data))
        let output = dataset.directory.deletingLastPathComponent()
        let sourceRows = try Self.sources(outputDirectory: output)
        let domainOf = Dictionary(sourceRows.map { ($0.name, $0.domain) }, uniquingKeysWith: { _, last in last })
        let sourceNames = domainOf.keys.sorted()
        let sourceIndex = Dictionary(uniqueKeysWithValues: sourceNames.enumerated().map { ($1, $0) })
        var analysisRows = try RoutingCollector.readRows(dataset, count: rows)
        let found = try DocumentLanguages.assign(
            &analysisRows, tokensDirectory: output.appendingPathComponent("tokens"), sources: Set(sourceNames),
            sourceLanguages: sourceRows.reduce(into: [:]) { $0[$1.name] = $1.language })
        let languageNames = Set(analysisRows.flatMap(\.segmentLanguages.values)).sorted()
        let languageIndex = Dictionary(uniqueKeysWithValues: languageNames.enumerated().map { ($1, $0) })
        LiveOutput.line(
            "languages of \(found.fromMetadata + found.fromSource + found.unknown) segments: \(found.fromMetadata) "
                + "from document metadata, \(found.fromSource) from the manifest, \(found.unknown) unknown")
        let tokenizer = try? Tokenizer(
            modelPath: dataset.info.tokenizer, sentinels: .appended(Tokenizer.defaultSentinelCount),
            eos: .id(UInt32(clamping: dataset.info.eosId)))
        let probeRows = try probe.map { try Self.probeRows($0, tokenizer: tokenizer, dataset: dataset) } ?? []
        var analysed: [AnalysedCheckpoint] = []
        var layerCount = 0
        for path in checkpoints {
            let (model, config, step) = try RoutingCollector.loadModel(checkpoint: URL(fileURLWithPath: path))
            try check(config.model, path: path, dataVocab: dataset.info.vocabSize)
            let clock = ContinuousClock(), started = clock.now
            let layers = try RoutingCollector.collect(
                model: model, rows: analysisRows, batchRows: batchRows ?? config.batchRows,
                capacityFactor: capacityFactor, sourceIndex: sourceIndex, languageIndex: languageIndex)
            layerCount = layers.count
            LiveOutput.line(
                "\(path): step \(step), \(layers.first?.count ?? 0) tokens through \(layers.count) "
                    + "MoE layers in \(formatDuration(clock.now - started))")
            let probeLayers =
                probeRows.isEmpty
                ? []
                : try RoutingCollector.collect(
                    model: model, rows: probeRows, batchRows: batchRows ?? config.batchRows,
                    capacityFactor: capacityFactor, sourceIndex: [:])
            analysed.append(AnalysedCheckpoint(path: path, step: step, layers: layers, probe: probeLayers))
        }
        analysed.sort { $0.step < $1.step }
        let controlRun = try control.map { path in
            let (model, config, step) = try RoutingCollector.loadModel(checkpoint: URL(fileURLWithPath: path))
            try check(config.model, path: path, dataVocab: dataset.info.vocabSize)
            let layers = try RoutingCollector.collect(
                model: model, rows: analysisRows, batchRows: batchRows ?? config.batchRows,
                capacityFactor: capacityFactor, sourceIndex: sourceIndex, languageIndex: languageIndex)
            return AnalysedCheckpoint(path: path, step: step, layers: layers)
        }
        guard layerCount > 0 else {
            throw TrainError("\(checkpoints.first ?? "checkpoint"): the model has no MoE layer")
        }
        var input = RoutingReportInput(
            checkpoints: analysed, sourceNames: sourceNames, domains: sourceNames.map { domainOf[$0] ?? "unknown" },
            layer: layer ?? layerCount / 2, capacityFactor: capacityFactor, minCount: minCount, bucketWidth: bucket,
            frequentIds: frequentIds, rows: analysisRows.count, languageNames: languageNames,
            probeName: probe.map { URL(fileURLWithPath: $0).lastPathComponent },
            piece: { id in id == 0 ? "<bos/pad>" : tokenizer?.piece(UInt32(id)) ?? "#\(id)" })
        input.control = controlRun
        let headline = try RoutingReport.write(input, to: URL(fileURLWithPath: out))
        for f in headline.findings { LiveOutput.line("- " + f) }
        LiveOutput.line("wrote \(out)/report.md, report.json, CSVs and SVG plots")
    }

    /// The probe file's documents, tokenized as the build tokenized the data (EOS appended) and packed into
    /// rows of the data's length.
    private static func probeRows(_ path: String, tokenizer: Tokenizer?, dataset: PackedDataset) throws
        -> [AnalysisRow]
    {
        guard let tokenizer else {
            throw TrainError("--probe: the data's tokenizer \(dataset.info.tokenizer) cannot be loaded")
        }
        let texts = try ProbeDocuments.texts(jsonl: URL(fileURLWithPath: path))
        let documents = try texts.map { try tokenizer.encode($0) + [UInt32(clamping: dataset.info.eosId)] }
        let rows = ProbeDocuments.pack(documents, seqLen: dataset.info.seqLen)
        LiveOutput.line(
            "probe \(path): \(texts.count) documents, \(documents.reduce(0) { $0 + $1.count }) tokens in "
                + "\(rows.count) rows")
        return rows
    }

    /// Refuses a checkpoint whose model cannot be analysed on this data, before it runs over the rows
    /// (which takes most of the time).
    private func check(_ model: ModelConfig, path: String, dataVocab: Int) throws {
        if let layer, layer >= model.moeLayerCount {
            throw TrainError(
                "--layer \(layer): \(path) has \(model.moeLayerCount) MoE layers (0-based: "
                    + "0...\(max(0, model.moeLayerCount - 1)))")
        }
        guard dataVocab <= model.vocabSize else {
            throw TrainError(
                "\(path): the model's vocabulary (\(model.vocabSize)) is smaller than the data's "
                    + "(\(dataVocab))")
        }
    }

    /// Each source's domain and manifest language, from the build's catalog.
    private static func sources(outputDirectory: URL) throws -> [CatalogStats.SourceRow] {
        let catalogPath = outputDirectory.appendingPathComponent("catalog.sqlite").path
        guard FileManager.default.fileExists(atPath: catalogPath) else {
            throw TrainError(
                "\(catalogPath): missing; the analysis reads each source's domain from the build's catalog")
        }
        do {
            let catalog = try Catalog.openExisting(outputDirectory: outputDirectory.path)
            return try CatalogStats.load(catalog).sources
        } catch { throw TrainError("\(catalogPath): \(error)") }
    }
}

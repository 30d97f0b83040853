import Foundation

/// Loads the manifest's tokenizer model, training it first when the model file does not exist
/// and the manifest says how (`tokenizer.train`).
public enum TokenizerSetup {
    /// `seed` keys the training sample when the model is trained here (`build --seed`; default 0).
    public static func load(
        manifest: Manifest, quiet: Bool, engine: TokenizerEngine = .auto,
        seed: UInt64? = nil, twoThreads: Bool = false
    ) throws -> Tokenizer {
        let spec = manifest.tokenizer
        if !FileManager.default.fileExists(atPath: spec.model) {
            guard let train = spec.train else {
                throw MoeDataError(
                    "\(manifest.path): tokenizer.model: \(spec.model) does not exist; give a SentencePiece "
                        + ".model or a Hugging Face tokenizer.json, or add tokenizer.train to make a .model"
                )
            }
            try trainFromManifest(manifest, train: train, quiet: quiet, seed: seed)
        }
        return try Tokenizer(
            modelPath: spec.model, sentinels: spec.sentinels, engine: engine, eos: spec.eosChoice,
            twoThreads: twoThreads)
    }

    /// Draws a sample of `sample_mb` from the sources (per-source shares; equal by default), in
    /// one streaming pass each, and trains an umT5-layout unigram model on it.
    /// The trainer keeps its fixed thread count (not `--jobs`): the model, and so every token after it,
    /// must not depend on the machine or on `--jobs`.
    static func trainFromManifest(
        _ manifest: Manifest, train: TokenizerSpec.TrainSpec, quiet: Bool,
        seed: UInt64?
    ) throws {
        var options = TokenizerTrainingOptions()
        options.vocabSize = train.vocabSize
        options.characterCoverage = train.characterCoverage
        options.userDefinedSymbols = train.userDefinedSymbols
        options.sampleBytes = train.sampleMegabytes * 1_000_000
        if let seed { options.seed = seed }
        var training = TokenizerTraining(
            inputs: try textSources(manifest, shares: train.shares, sharesKey: "tokenizer.train.shares"),
            options: options, modelPath: manifest.tokenizer.model)
        training.createsFolder = true
        let start = Date()
        if !quiet {
            FileHandle.standardError.write(
                Data(
                    ("training the tokenizer (\(train.vocabSize) pieces) on a "
                        + "\(train.sampleMegabytes) MB sample of the sources...\n").utf8))
        }
        try training.run()
        if !quiet {
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "tokenizer written to %@ in %.0f s\n", manifest.tokenizer.model,
                        Date().timeIntervalSince(start)
                    ).utf8))
        }
    }

    /// The manifest's sources as training inputs, each with its share of the sample (equal when
    /// `shares` is empty; sources without a share are left out).
    public static func textSources(_ manifest: Manifest, shares: [String: Double], sharesKey: String) throws
        -> [(source: any TrainingTextSource, share: Double)]
    {
        for name in shares.keys.sorted() where manifest.source(named: name) == nil {
            throw MoeDataError("\(manifest.path): \(sharesKey).\(name): no source of that name in the manifest")
        }
        return manifest.sources.compactMap { spec in
            let share = shares.isEmpty ? 1 : (shares[spec.name] ?? 0)
            guard share > 0 else { return nil }
            return (
                ClosureTextSource(name: spec.name) { body in
                    try forEachDocument(of: spec, maxDocumentBytes: manifest.maxDocumentBytes) { try body($0) }
                }, share
            )
        }
    }

    /// Every readable document text of a source, in order (bad records are passed over: the
    /// sample only needs text, and ingest reports them).
    static func forEachDocument(of spec: SourceSpec, maxDocumentBytes: Int, _ body: (Substring) throws -> Void) throws {
        for (i, file) in InputFiles.list(spec).files.enumerated() {
            guard
                var reader = try? makeRecordReader(
                    file: file, fileIndex: i, source: spec, maxDocumentBytes: maxDocumentBytes)
            else { continue }
            while true {
                let event: RecordEvent?
                do { event = try reader.next() } catch { break }
                guard let event else { break }
                if case .document(let d) = event { try body(Substring(String(decoding: d.text, as: UTF8.self))) }
            }
        }
    }
}

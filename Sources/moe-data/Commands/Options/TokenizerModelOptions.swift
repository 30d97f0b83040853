import ArgumentParser
import MoeData

/// Options every command that loads a model shares.
struct TokenizerModelOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "SentencePiece .model file or Hugging Face tokenizer.json.")
    var model: String

    @Option(
        help: ArgumentHelp(
            "Sentinel ids appended after the pieces (T5 extra_ids; OpenMoE: 300; 0 = none), or from_model "
                + "for the model's own <extra_id_0>, <extra_id_1>, ... pieces.",
            valueName: "n|from_model"))
    var sentinels: SentinelSource = .appended(Tokenizer.defaultSentinelCount)

    @Option(
        help: ArgumentHelp(
            "The piece or added token that ends each document (default: the model's eos; a tokenizer.json's "
                + "post-processor names it, or this must).",
            valueName: "token"))
    var eos: String?

    @OptionGroup var engine: EngineOption

    func validate() throws {
        try OptionCheck.int(sentinels.appendedCount, "--sentinels", 0...1_000_000)
    }

    /// The model, with the sentinels and the encoder asked for.
    func load() throws -> Tokenizer {
        try Tokenizer(
            modelPath: model, sentinels: sentinels, engine: engine.tokenizerEngine,
            eos: eos.map(EOSChoice.piece) ?? .model)
    }
}

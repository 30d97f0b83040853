import ArgumentParser
import MoeData

/// Options every command that loads a model shares.
struct TokenizerModelOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "SentencePiece .model file.")
    var model: String

    @Option(help: "Sentinel ids appended after the pieces (T5 extra_ids; OpenMoE: 300; 0 = none).")
    var sentinels: Int = 300

    @OptionGroup var engine: EngineOption

    func validate() throws {
        try OptionCheck.int(sentinels, "--sentinels", 0...1_000_000)
    }

    /// The model, with the sentinels and the encoder asked for.
    func load() throws -> Tokenizer {
        try Tokenizer(modelPath: model, sentinelCount: sentinels, engine: engine.tokenizerEngine)
    }
}

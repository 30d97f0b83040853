import ArgumentParser
import MoeData

/// `moe-data tokenizer ...`: the SentencePiece model every stage shares.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train, inspect and run the SentencePiece tokenizer (umT5 layout, with sentinels).",
        discussion: """
            OpenMoE used the umT5 tokenizer: 256,000 SentencePiece pieces with byte fallback (pad 0, eos 1, \
            unk 2, no bos) plus 300 sentinel ids appended for span corruption (<extra_id_0> is the highest id), \
            256,300 ids padded to 256,384 embedding rows. Use such a model if you have one; otherwise \
            `tokenizer train` makes one in the same layout from your data.

            Examples:
              moe-data tokenizer info -m out/sample/tokenizer/sample.model
              moe-data tokenizer encode -m out/sample/tokenizer/sample.model "def main():"
            """,
        subcommands: [
            TokenizerTrainCommand.self, TokenizerInfoCommand.self, TokenizerEncodeCommand.self,
            TokenizerDecodeCommand.self, TokenizerBenchCommand.self, TokenizerVerifyCommand.self,
        ]
    )
}

/// Options every command that loads a model shares.
struct TokenizerModelOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "SentencePiece .model file.")
    var model: String

    @Option(help: "Sentinel ids appended after the pieces (T5 extra_ids; OpenMoE: 300; 0 = none).")
    var sentinels: Int = 300

    @Option(help: ArgumentHelp(
            "Encoder: auto (native for unigram models, libsentencepiece for BPE/char/word), native, or library.",
            discussion: "Both give libsentencepiece 0.1.97's ids; `moe-data tokenizer verify` checks that on your corpus."))
    var tokenizerEngine: TokenizerEngine = .auto

    func validate() throws {
        try OptionCheck.int(sentinels, "--sentinels", 0...1_000_000)
    }
}

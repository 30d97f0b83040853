import ArgumentParser
import MoeData

/// `--tokenizer-engine`: which encoder turns text into ids, for every command that encodes.
struct EngineOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Encoder: auto (native for unigram models, libsentencepiece for BPE/char/word), native, or library.",
            discussion:
                "Both give libsentencepiece 0.1.97's ids; `moe-data tokenizer verify` checks that on your corpus."))
    var tokenizerEngine: TokenizerEngine = .auto
}

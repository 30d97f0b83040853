import ArgumentParser
import MoeData

/// `moe-data tokenizer ...`: the SentencePiece model every stage shares.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train, inspect and run the tokenizer: SentencePiece (umT5 layout, sentinels) or tokenizer.json.",
        discussion: """
            OpenMoE used the umT5 tokenizer: 256,000 SentencePiece pieces with byte fallback (pad 0, eos 1, \
            unk 2, no bos) plus 300 sentinel ids appended for span corruption (<extra_id_0> is the highest id), \
            256,300 ids padded to 256,384 embedding rows. Use such a model if you have one; otherwise \
            `tokenizer train` makes one in the same layout from your data. A Hugging Face tokenizer.json (byte-level \
            BPE: GPT-2, GPT-NeoX, OLMo, Llama 3, Qwen2) works wherever a model does, encoded natively with the ids of \
            the tokenizers library.

            Examples:
              moe-data tokenizer info -m out/sample/tokenizer/sample.model
              moe-data tokenizer encode -m out/sample/tokenizer/sample.model "def main():"
            """,
        subcommands: [
            TokenizerTrainCommand.self, TokenizerInfoCommand.self, TokenizerEncodeCommand.self,
            TokenizerDecodeCommand.self, TokenizerBenchCommand.self, TokenizerVerifyCommand.self,
            TokenizerExportHFCommand.self,
        ]
    )
}

import ArgumentParser
import Foundation
import MoeData

struct TokenizerExportHFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-hf",
        abstract: "Write a SentencePiece unigram model as a Hugging Face tokenizer.json.",
        discussion: """
            The file loads in the `tokenizers` library (and transformers' PreTrainedTokenizerFast), which then \
            gives this model's ids: a Unigram model with the pieces at their ids, the model's normalization, a \
            Metaspace pre-tokenizer, byte fallback, EOS after each sequence, and the sentinels: appended ones \
            as special added tokens at their ids (--sentinels N, as the build used them), or the model's own \
            <extra_id_k> pieces (--sentinels from_model). A model whose normalization tokenizer.json cannot \
            express exactly is refused. One difference remains: where two orders of the same pieces score \
            exactly the same (runs of one repeated piece such as `====`), libsentencepiece's float32 \
            arithmetic and tokenizers' float64 may pick different orders of the same pieces.

            Example:
              moe-data tokenizer export-hf out/sample/tokenizer/sample.model \\
                --to out/sample/tokenizer.json
            """
    )

    @Argument(help: "SentencePiece .model file (unigram).")
    var model: String

    @Option(help: "Where to write tokenizer.json.")
    var to: String

    @Option(
        help: ArgumentHelp(
            "Sentinels appended after the pieces (OpenMoE: 300; 0 = none), or from_model for the model's own.",
            valueName: "n|from_model"))
    var sentinels: SentinelSource = .appended(Tokenizer.defaultSentinelCount)

    func validate() throws {
        try OptionCheck.int(sentinels.appendedCount, "--sentinels", 0...1_000_000)
    }

    func run() throws {
        let tokenizer = try Tokenizer(modelPath: model, sentinels: sentinels, engine: .library)
        try HuggingFaceTokenizerExport.write(tokenizer, to: to)
        print(
            "wrote \(to): \(tokenizer.pieceCount) pieces"
                + (tokenizer.sentinelSource == .fromModel
                    ? " (\(tokenizer.sentinelCount) of them the model's sentinels)"
                    : ", \(tokenizer.sentinelCount) sentinels as added tokens")
                + ", \(tokenizer.vocabSize) ids")
    }
}

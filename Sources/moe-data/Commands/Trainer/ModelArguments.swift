import ArgumentParser
import MoeTrain

/// `train`'s model shape: a preset, and the sizes that may override it.
struct ModelArguments: ParsableArguments {
    @Option(help: "Model shape: \(ModelConfig.presetNames.joined(separator: ", ")).")
    var config: String = "tiny"

    @Option(help: "Rows of the model's embedding; default: the data's padded_vocab_size (small presets).")
    var vocabSize: Int?

    @Option(
        help: ArgumentHelp(
            "Override the preset's FFN width (dense FFNs, experts, shared FFN); OpenMoE's paper gives 3072 for Base."))
    var ffnDim: Int?

    func validate() throws {
        try OptionCheck.int(vocabSize, "--vocab-size", 1...(1 << 24))
        try OptionCheck.int(ffnDim, "--ffn-dim", 1...(1 << 18))
    }

    /// The preset (its small shapes sized to `dataVocab`), with --vocab-size and --ffn-dim applied.
    func model(dataVocab: Int) throws -> ModelConfig {
        var model = try ModelConfig.preset(config, dataVocab: dataVocab)
        if let vocabSize { model.vocabSize = vocabSize }
        if let ffnDim { model.ffnDim = ffnDim }
        return model
    }
}

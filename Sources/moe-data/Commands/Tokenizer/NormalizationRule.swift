import ArgumentParser
import MoeData

/// `tokenizer train --normalization`: one of the rules libsentencepiece knows, as
/// `TokenizerTrainingOptions.normalizations` lists them (the one list of them).
struct NormalizationRule: ExpressibleByArgument {
    let name: String

    /// Keeps text as it is, so decoding returns the exact input.
    static let identity = NormalizationRule(name: "identity")

    private init(name: String) { self.name = name }

    init?(argument: String) {
        guard TokenizerTrainingOptions.normalizations.contains(argument) else { return nil }
        name = argument
    }

    static var allValueStrings: [String] { TokenizerTrainingOptions.normalizations }

    var defaultValueDescription: String { name }
}

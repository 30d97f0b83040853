import ArgumentParser

/// `tokenizer encode --format`: how a line of ids is written.
enum IdFormat: String, CaseIterable, ExpressibleByArgument {
    /// Ids separated by spaces, as `spm_encode --output_format=id`.
    case id
    /// A JSON array.
    case json
    /// The pieces, separated by spaces.
    case piece
}

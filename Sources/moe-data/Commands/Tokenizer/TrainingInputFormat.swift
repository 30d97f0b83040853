import ArgumentParser
import MoeData

/// `tokenizer train --format`: how each --input is read.
enum TrainingInputFormat: String, CaseIterable, ExpressibleByArgument {
    /// By the file's extension: .jsonl and .json are JSONL, anything else text.
    case auto
    case text
    case jsonl

    func format(forPath path: String) -> TextFileSource.Format {
        switch self {
        case .auto: TextFileSource.format(forPath: path)
        case .text: .text
        case .jsonl: .jsonl
        }
    }
}

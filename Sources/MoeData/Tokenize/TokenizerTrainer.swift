import FileSupport
import Foundation

/// Trains a SentencePiece model in-process with libsentencepiece's trainer.
public enum TokenizerTrainer {
    /// Trains on `sentences` (each at most `options.maxSentenceBytes` bytes; longer ones are
    /// skipped by the trainer) and writes the model to `modelPath` atomically. The sequence is
    /// consumed once, on the calling thread, while the trainer loads it.
    public static func train(
        sentences: some Sequence<String>, options: TokenizerTrainingOptions, modelPath: String,
        verbose: Bool = false
    ) throws {
        try options.validate()
        let url = URL(fileURLWithPath: modelPath)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).training-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: tmp) }

        let outcome = SentencePieceTrainer.train(
            arguments: options.trainerArguments(), seed: options.trainerSeed, verbose: verbose,
            sentences: sentences, modelPath: tmp.path)
        if let message = outcome.failure {
            if outcome.sentences == 0 {
                throw MoeDataError("cannot train \(modelPath): the training sample is empty")
            }
            if message.contains("Vocabulary size too high") || message.contains("vocab_size") {
                throw MoeDataError(
                    "cannot train \(modelPath): --vocab-size \(options.vocabSize) is too large for the training sample "
                        + "(\(outcome.sentences) sentences, \(outcome.bytes) bytes): \(message). "
                        + "Use a smaller --vocab-size or a larger --sample-bytes")
            }
            throw MoeDataError("cannot train \(modelPath): libsentencepiece: \(message)")
        }
        guard let bytes = FileManager.default.contents(atPath: tmp.path) else {
            throw MoeDataError("cannot train \(modelPath): the trainer wrote no model")
        }
        try AtomicFile.write([UInt8](bytes), to: url)
    }
}

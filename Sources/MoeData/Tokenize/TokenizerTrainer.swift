import CSentencePiece
import Foundation
import FileSupport

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
        let feed = SentenceFeed(sentences.makeIterator())
        let args = options.trainerArguments()
        let url = URL(fileURLWithPath: modelPath)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).training-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: tmp) }

        spm_set_min_log_level(verbose ? 0 : 2)
        spm_set_random_seed(options.trainerSeed)
        var err = [CChar](repeating: 0, count: 2048)
        let rc = withCStrings(args.map(\.0)) { keys in
            withCStrings(args.map(\.1)) { values in
                spm_train(
                    keys, values, args.count,
                    { ctx, text, len in
                        guard let ctx, let text, let len else { return -1 }
                        let feed = Unmanaged<SentenceFeed>.fromOpaque(ctx).takeUnretainedValue()
                        return feed.next(text, len)
                    },
                    Unmanaged.passUnretained(feed).toOpaque(), tmp.path, &err, err.count)
            }
        }
        withExtendedLifetime(feed) {}
        guard rc == 0 else {
            let message = Tokenizer.message(err)
            if feed.sentences == 0 {
                throw MoeDataError("cannot train \(modelPath): the training sample is empty")
            }
            if message.contains("Vocabulary size too high") || message.contains("vocab_size") {
                throw MoeDataError(
                    "cannot train \(modelPath): --vocab-size \(options.vocabSize) is too large for the training sample "
                        + "(\(feed.sentences) sentences, \(feed.bytes) bytes): \(message). "
                        + "Use a smaller --vocab-size or a larger --sample-bytes")
            }
            throw MoeDataError("cannot train \(modelPath): libsentencepiece: \(message)")
        }
        guard let bytes = FileManager.default.contents(atPath: tmp.path) else {
            throw MoeDataError("cannot train \(modelPath): the trainer wrote no model")
        }
        try AtomicFile.write([UInt8](bytes), to: url)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let owned = strings.map { strdup($0) }
        defer { owned.forEach { free($0) } }
        let pointers = owned.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { buffer in
            // A zero-count buffer still needs a valid base for the C side.
            guard let base = buffer.baseAddress else {
                var none: UnsafePointer<CChar>? = nil
                return body(&none)
            }
            return body(base)
        }
    }
}

/// Hands sentences to the C++ trainer one at a time. The bytes live in a buffer this feed owns,
/// valid until the trainer asks for the next sentence (the trainer copies them at once).
private final class SentenceFeed {
    private var iterator: any IteratorProtocol<String>
    private var buffer: UnsafeMutableRawBufferPointer
    private(set) var sentences = 0
    private(set) var bytes = 0

    init(_ iterator: some IteratorProtocol<String>) {
        self.iterator = iterator
        buffer = .allocate(byteCount: 4096, alignment: 1)
    }

    deinit { buffer.deallocate() }

    func next(_ text: UnsafeMutablePointer<UnsafePointer<CChar>?>, _ len: UnsafeMutablePointer<Int>) -> Int32 {
        guard var sentence = iterator.next() else { return 0 }
        let count = sentence.withUTF8 { utf8 in
            if utf8.count > buffer.count {
                buffer.deallocate()
                buffer = .allocate(byteCount: utf8.count, alignment: 1)
            }
            buffer.copyMemory(from: UnsafeRawBufferPointer(utf8))
            return utf8.count
        }
        sentences += 1
        bytes += count
        text.pointee = UnsafePointer(buffer.baseAddress?.assumingMemoryBound(to: CChar.self))
        len.pointee = count
        return 1
    }
}

import CSentencePiece
import Foundation

/// libsentencepiece's trainer as Swift sees it (with `SentencePieceProcessor`, the only code that
/// calls into the C shim): flags as C strings, and the sentences fed one at a time.
enum SentencePieceTrainer {
    /// What one training call did.
    struct Outcome {
        /// nil on success, else libsentencepiece's message.
        var failure: String?
        /// Sentences and bytes the trainer was given.
        var sentences: Int
        var bytes: Int
    }

    /// Trains with `arguments` (flag names as `spm_train --help` lists them) on `sentences`,
    /// consumed once on the calling thread, and writes the model to `modelPath`.
    static func train(
        arguments: [(String, String)], seed: UInt32, verbose: Bool,
        sentences: some Sequence<String>, modelPath: String
    ) -> Outcome {
        let feed = SentenceFeed(sentences.makeIterator())
        spm_set_min_log_level(verbose ? 0 : 2)
        spm_set_random_seed(seed)
        var err = [CChar](repeating: 0, count: 2048)
        let rc = withCStrings(arguments.map(\.0)) { keys in
            withCStrings(arguments.map(\.1)) { values in
                spm_train(
                    keys, values, arguments.count,
                    { ctx, text, len in
                        guard let ctx, let text, let len else { return -1 }
                        let feed = Unmanaged<SentenceFeed>.fromOpaque(ctx).takeUnretainedValue()
                        return feed.next(text, len)
                    },
                    Unmanaged.passUnretained(feed).toOpaque(), modelPath, &err, err.count)
            }
        }
        withExtendedLifetime(feed) {}
        return Outcome(
            failure: rc == 0 ? nil : SentencePieceProcessor.message(err),
            sentences: feed.sentences, bytes: feed.bytes)
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
}

import Foundation

/// Encodes documents with the native encoder and with the reference (libsentencepiece for a
/// SentencePiece model, Python's tokenizers for a tokenizer.json) and reports where they differ: the
/// check to run on a corpus before trusting the native encoder with it (`moe-data tokenizer verify`).
public struct EncoderVerifier: Sendable {
    public struct Difference: Sendable, CustomStringConvertible {
        public var source: String
        public var document: Int
        /// Index of the first id that differs.
        public var token: Int
        /// Byte offset in the document where that token's text starts (the library's ids before
        /// it, decoded; exact unless normalization changed the text before it).
        public var offset: Int
        public var library: [UInt32]
        public var native: [UInt32]
        public var excerpt: String

        public var description: String {
            "\(source) document \(document): first difference at token \(token), byte offset ~\(offset) "
                + "(\(String(reflecting: excerpt))): library \(library) native \(native)"
        }
    }

    public struct Report: Sendable {
        public var documents = 0
        public var bytes = 0
        public var tokens = 0
        /// Documents whose ids differ (the first `keep` of them are in `differences`).
        public var differing = 0
        public var differences: [Difference] = []
    }

    /// What the native ids are checked against.
    enum Reference {
        /// libsentencepiece (`tokenizer` runs it), for a SentencePiece model and its native encoder.
        case library(NativeUnigramEncoder)
        /// Python's tokenizers, for a tokenizer.json (`tokenizer` runs the native encoder).
        case huggingFace(HuggingFaceLibraryReference)
    }

    let tokenizer: Tokenizer
    let reference: Reference
    let jobs: Int
    /// Differences kept in the report (all are counted).
    let keep: Int

    public init(modelPath: String, jobs: Int, keep: Int = 20) throws {
        if let data = FileManager.default.contents(atPath: modelPath), HuggingFaceTokenizerFile.looksLikeJSON(data) {
            // Encoding needs no end-of-sequence token; any id spares a file without one the refusal.
            tokenizer = try Tokenizer(modelPath: modelPath, sentinels: 0, eos: .id(0))
            reference = .huggingFace(try HuggingFaceLibraryReference(modelPath: modelPath))
        } else {
            tokenizer = try Tokenizer(modelPath: modelPath, sentinelCount: 0, engine: .library)
            reference = .library(try NativeUnigramEncoder(modelPath: modelPath))
        }
        self.jobs = max(1, jobs)
        self.keep = keep
    }

    /// Checks one batch of documents (`first` is the index of `texts[0]` in its source).
    public func check(source: String, first: Int, texts: [[UInt8]], into report: inout Report) throws {
        let pairs: [(expected: [UInt32], actual: [UInt32])]
        switch reference {
        case .library(let native):
            pairs = try Parallel.map(texts.count, jobs: jobs) { i in
                try texts[i].withUnsafeBytes { raw in (try tokenizer.libraryEncode(utf8: raw), native.encode(utf8: raw))
                }
            }
        case .huggingFace(let library):
            let expected = try library.encode(texts)
            let actual = try tokenizer.encodeBatch(utf8: texts, jobs: jobs)
            pairs = Array(zip(expected, actual))
        }
        for (i, pair) in pairs.enumerated() {
            let r = try compare(source: source, document: first + i, text: texts[i], pair.expected, pair.actual)
            report.documents += 1
            report.bytes += texts[i].count
            report.tokens += r.tokens
            if let d = r.difference {
                report.differing += 1
                if report.differences.count < keep { report.differences.append(d) }
            }
        }
    }

    func compare(source: String, document: Int, text: [UInt8], _ expected: [UInt32], _ actual: [UInt32]) throws
        -> (tokens: Int, difference: Difference?)
    {
        guard expected != actual else { return (expected.count, nil) }
        let k = zip(expected, actual).prefix { $0 == $1 }.count
        let before = try tokenizer.decode(Array(expected[..<k])).utf8.count
        // SentencePiece's dummy-prefix space is not in the text; a tokenizer.json decodes to the text.
        let dummyPrefix = if case .library = reference { 1 } else { 0 }
        let offset = min(text.count, max(0, before - dummyPrefix))
        let excerpt = String(decoding: text[offset..<min(text.count, offset + 40)], as: UTF8.self)
        return (
            expected.count,
            Difference(
                source: source, document: document, token: k, offset: offset,
                library: Array(expected[k...].prefix(8)), native: Array(actual[k...].prefix(8)), excerpt: excerpt)
        )
    }

    /// Every `every`-th document of each source of `manifest`, at most `maxBytes` of text in all.
    public func verify(manifest: Manifest, every: Int, maxBytes: Int, progress: (Report) -> Void) throws -> Report {
        var report = Report()
        for spec in manifest.sources {
            var batch: [[UInt8]] = []
            var index = 0
            var firstIndex = 0
            var done = false
            func flush() throws {
                guard !batch.isEmpty else { return }
                try check(source: spec.name, first: firstIndex, texts: batch, into: &report)
                batch.removeAll(keepingCapacity: true)
                progress(report)
            }
            try TokenizerSetup.forEachDocument(of: spec, maxDocumentBytes: manifest.maxDocumentBytes) { text in
                defer { index += 1 }
                guard !done, index % max(1, every) == 0 else { return }
                if batch.isEmpty { firstIndex = index }
                batch.append(Array(text.utf8))
                if batch.count == 2048 { try flush() }
                if report.bytes >= maxBytes { done = true }
            }
            try flush()
        }
        return report
    }
}

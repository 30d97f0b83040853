import Foundation
import MoeData
import PackedFormat
import Testing

/// The native unigram encoder against libsentencepiece 0.1.97 (the reference for ids), on
/// models trained by libsentencepiece's own trainer for each normalization / byte-fallback /
/// user-defined-symbol combination, on real text and on random strings built to hit the
/// normalizer's and the Viterbi pass's edge cases.
@Suite(.serialized) struct NativeEncoderTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var normalization: String
        var byteFallback: Bool
        var userSymbols: [String]
        var testDescription: String {
            "\(normalization), byte fallback \(byteFallback ? "on" : "off"), "
                + "\(userSymbols.isEmpty ? "no" : "\(userSymbols.count)") user symbols"
        }
        var fileName: String { "native-\(normalization)-\(byteFallback)-\(userSymbols.count).model" }
    }

    /// Symbols that overlap normal text ("def", "==") so the user-defined bonus competes with
    /// learned pieces, a symbol NFKC would change ("ﬁx"), and mode tokens like the pipeline's.
    static let userSymbols = ["[NLU]", "[S2S]", "def", "==", "ﬁx", "<tab>", "self."]

    static let variants: [Variant] = ["nmt_nfkc", "identity"].flatMap { norm in
        [true, false].flatMap { bf in
            [[], userSymbols].map { Variant(normalization: norm, byteFallback: bf, userSymbols: $0) }
        }
    }

    /// Suites run in parallel and share the trained models: one trainer at a time.
    static let trainingLock = NSLock()

    /// Trains a 1,000-piece model on 200 KB of prose and code (cached per test process).
    static func model(_ v: Variant) throws -> String {
        trainingLock.lock()
        defer { trainingLock.unlock() }
        let path = TokenizerFixtures.directory.appendingPathComponent(v.fileName).path
        if FileManager.default.fileExists(atPath: path) { return path }
        var options = TokenizerFixtures.smallOptions(vocab: 1000)
        options.sampleBytes = 200_000
        options.normalization = v.normalization
        options.byteFallback = v.byteFallback
        options.userDefinedSymbols = v.userSymbols
        options.characterCoverage = 0.995  // leave rare characters out, so unknowns happen
        let prose = try TokenizerFixtures.write(TokenizerFixtures.prose(maxBytes: 400_000), "native-prose.txt")
        let code = try TokenizerFixtures.write(TokenizerFixtures.code(maxBytes: 400_000), "native-code.txt")
        let sampler = TrainingSampler(totalBytes: options.sampleBytes, seed: options.seed)
        let (sentences, _) = try sampler.sample([
            (TextFileSource(path: prose, format: .text), 1), (TextFileSource(path: code, format: .text), 1),
        ])
        try lockedTrain(sentences: sentences, options: options, modelPath: path)
        return path
    }

    /// Real documents: whole chunks of prose and code with their newlines, tabs and indentation.
    static func realDocuments() throws -> [String] {
        let prose = try TokenizerFixtures.prose(maxBytes: 300_000)
        let code = try TokenizerFixtures.code(maxBytes: 300_000)
        var docs = TokenizerFixtures.multilingual
        for text in [prose, code] {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            var i = 0
            while i < lines.count {
                let n = 1 + (i * 7) % 40
                docs.append(lines[i..<min(lines.count, i + n)].joined(separator: "\n"))
                i += n
            }
        }
        return docs
    }

    /// Random strings from pools that stress normalization and segmentation: mixed scripts,
    /// combining marks, characters NFKC rewrites, whitespace runs, emoji, characters no small
    /// model has, and text that matches user-defined symbols.
    static func randomStrings(count: Int, seed: UInt64) -> [String] {
        let pools: [[String]] = [
            [
                "a", "b", "e", "the", "ing", "tion", "def", "self.", "return", "==", "=", "(", ")", ":", ".", ",", "0",
                "7", "42",
            ],
            [" ", "  ", "   ", "\t", "\n", "\r\n", "\u{3000}", "\u{A0}", "\u{2009}", " \t ", "\n\n"],
            ["é", "e\u{301}", "\u{301}", "\u{308}", "a\u{30A}", "ñ", "n\u{303}", "\u{0323}\u{0307}"],
            ["ﬁ", "ﬂ", "①", "Ａ", "ｂ", "１", "㎏", "ｶ", "ﾞ", "ẞ", "ǅ", "™", "½", "²", "ﷺ", "…", "Ⅻ", "ﬁx"],
            ["日本", "語", "中文", "한국어", "Москва", "ελληνικά", "עברית", "العربية", "हिन्दी", "ไทย"],
            ["🚀", "👩‍👩‍👧‍👦", "🇫🇷", "✨", "𝔘", "𝛼", "🤖", "\u{FE0F}", "\u{200D}"],
            ["\u{0}", "\u{1}", "\u{7F}", "\u{200B}", "\u{FEFF}", "\u{E000}", "\u{10FFFD}", "\u{FFFD}", "\u{85}"],
            ["[NLU]", "[S2S]", "<tab>", "[NLU", "ﬁ", "▁", "▁▁", "<0x41>", "<unk>", "</s>"],
        ]
        var rng = KeyedRandom(seed: seed, KeyedRandom.key("native-random"))
        return (0..<count).map { _ in
            let parts = Int.random(in: 0...24, using: &rng)
            var s = ""
            for _ in 0..<parts {
                let pool = pools[Int.random(in: 0..<pools.count, using: &rng)]
                s += pool[Int.random(in: 0..<pool.count, using: &rng)]
            }
            return s
        }
    }

    /// The first document whose ids differ, with the first differing token position.
    static func firstDifference(_ tokenizer: Tokenizer, _ native: NativeUnigramEncoder, _ docs: [String]) throws
        -> String?
    {
        for (i, doc) in docs.enumerated() {
            var d = doc
            let expected = try d.withUTF8 { try tokenizer.libraryEncode(utf8: UnsafeRawBufferPointer($0)) }
            let actual = native.encode(doc)
            if expected != actual {
                let k = zip(expected, actual).prefix { $0 == $1 }.count
                return "document \(i) \(String(reflecting: String(doc.prefix(200)))): first difference at token \(k): "
                    + "library \(Array(expected[k...].prefix(8))) native \(Array(actual[k...].prefix(8)))"
            }
        }
        return nil
    }

    @Test(arguments: variants)
    func identicalIdsOnRealTextAndRandomStrings(_ v: Variant) throws {
        let path = try Self.model(v)
        let tokenizer = try Tokenizer(modelPath: path, sentinelCount: 0, engine: .library)
        let native = try NativeUnigramEncoder(modelPath: path)
        let docs = try Self.realDocuments()
        let onText = try Self.firstDifference(tokenizer, native, docs)
        #expect(onText == nil, "\(onText ?? "")")
        let random = Self.randomStrings(count: 3000, seed: UInt64(v.fileName.utf8.count))
        let onRandom = try Self.firstDifference(tokenizer, native, random)
        #expect(onRandom == nil, "\(onRandom ?? "")")
        // The engine the pipeline picks for a unigram model is the native one.
        #expect(try Tokenizer(modelPath: path, sentinelCount: 0).engine == .native)
    }
}

import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// tokenizer.json files trained by Python's `tokenizers` on a small corpus (once per test process),
/// and the library's own ids for a test corpus: the reference the native encoder must equal.
enum HuggingFaceFixtures {
    /// The kinds of tokenizer.json trained, each with added special tokens:
    /// - gpt2: `ByteLevel` (GPT-2's regex), no normalizer;
    /// - llama3: `Split` with Llama 3's regex then `ByteLevel`, `ignore_merges`, an EOS post-processor;
    /// - qwen2: NFC, `Split` with Qwen2's regex then `ByteLevel`;
    /// - neox: NFKC, `ByteLevel` with `add_prefix_space`, added tokens with lstrip, rstrip, single_word
    ///   and normalized set;
    /// - chars: no pre-tokenizer, a BPE over characters with byte fallback, a fused unknown piece and
    ///   the subword prefix `##`;
    /// - unigram: NFKC, `Metaspace` (prepend always), a Unigram model;
    /// - unigram-bytes: NFC, `Metaspace` (prepend first), a Unigram model with byte fallback.
    static let kinds = ["gpt2", "llama3", "qwen2", "neox", "chars", "unigram", "unigram-bytes"]

    static let trainScript = #"""
        import sys
        from tokenizers import Tokenizer, Regex, AddedToken, models, pre_tokenizers, normalizers, trainers
        from tokenizers import processors
        corpus, out, kind, LLAMA3, QWEN2 = sys.argv[1:6]
        lines = open(corpus, encoding="utf-8").read().split("\n")
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        byte_level = pre_tokenizers.ByteLevel.alphabet()
        def split(pattern):
            return pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        if kind.startswith("unigram"):
            tok = Tokenizer(models.Unigram())
            fallback = ["<0x%02X>" % b for b in range(256)] if kind == "unigram-bytes" else []
            trainer = trainers.UnigramTrainer(vocab_size=1000, special_tokens=["<unk>"] + specials + fallback,
                unk_token="<unk>", show_progress=False)
            first = kind == "unigram-bytes"
            tok.normalizer = normalizers.NFC() if first else normalizers.Sequence([normalizers.NFKC()])
            tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first" if first else "always")
        elif kind == "chars":
            tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True,
                continuing_subword_prefix="##"))
            fallback = ["<0x%02X>" % b for b in range(256)]
            trainer = trainers.BpeTrainer(vocab_size=900, special_tokens=["<unk>"] + specials + fallback,
                limit_alphabet=70, continuing_subword_prefix="##", show_progress=False)
            lines = [w for line in lines for w in line.split()]
        else:
            tok = Tokenizer(models.BPE(ignore_merges=(kind == "llama3")))
            trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=specials, initial_alphabet=byte_level,
                show_progress=False)
            if kind == "gpt2": tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            if kind == "llama3": tok.pre_tokenizer = split(LLAMA3)
            if kind == "qwen2":
                tok.normalizer = normalizers.NFC()
                tok.pre_tokenizer = split(QWEN2)
            if kind == "neox":
                tok.normalizer = normalizers.Sequence([normalizers.NFKC()])
                tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        tok.train_from_iterator(lines, trainer)
        if kind == "llama3":
            tok.post_processor = processors.TemplateProcessing(
                single="<|im_start|> $A <|endoftext|>", special_tokens=[("<|im_start|>", 1), ("<|endoftext|>", 0)])
        if kind == "neox":
            tok.add_tokens([AddedToken("[LS]", lstrip=True), AddedToken("[RS]", rstrip=True),
                AddedToken("word", single_word=True), AddedToken("ﬁx", normalized=True)])
            tok.add_special_tokens([AddedToken("<|pad|>", special=True)])
        tok.save(out)
        if kind == "unigram-bytes":
            import json
            data = json.load(open(out, encoding="utf-8"))
            data["model"]["byte_fallback"] = True
            json.dump(data, open(out, "w", encoding="utf-8"))
        """#

    /// Trains every kind once; the path of each tokenizer.json by kind.
    static let trained: Result<[String: String], any Error> = Result {
        let missing = try Python.missing([Python.Requirement("tokenizers", pip: "tokenizers==0.22.1")])
        if let missing { throw MoeDataError(missing) }
        let corpus = try TokenizerFixtures.write(
            try TokenizerFixtures.prose(maxBytes: 200_000) + "\n" + TokenizerFixtures.code(maxBytes: 100_000) + "\n"
                + TokenizerFixtures.multilingual.joined(separator: "\n"), "hf-train.txt")
        var paths: [String: String] = [:]
        for kind in kinds {
            let path = TokenizerFixtures.directory.appendingPathComponent("hf-\(kind).json").path
            let patterns = [SplitPattern.llama3.regex, SplitPattern.qwen2.regex]
            let r = try Python.run(trainScript, [corpus, path, kind] + patterns)
            guard r.status == 0 else { throw MoeDataError("training the \(kind) tokenizer.json failed: \(r.stderr)") }
            paths[kind] = path
        }
        return paths
    }

    static func path(_ kind: String) throws -> String {
        guard let path = try trained.get()[kind] else { throw MoeDataError("no tokenizer.json of kind \(kind)") }
        return path
    }

    /// Lines that test the pre-tokenizers' corners: contractions in every case, runs of whitespace,
    /// digits and letters long enough for the merging of long words, line breaks of each kind, added
    /// tokens in and around words, text that normalization changes, and lone combining marks.
    static let cornerCases: [String] = [
        "it's It'S I'RE they'Ve we'LL I'M he'D 'ſ 'sa 's' ''s x'", "don't ?'s ('ll) \"'d\"",
        String(repeating: " ", count: 5000) + "x", String(repeating: " ", count: 300),
        "a" + String(repeating: " ", count: 33) + "b", "\t\t\tx\t\t", " \t \u{3000}\u{A0}y",
        String(repeating: "1234567890", count: 400), "x²³½Ⅻ12345 ١٢٣٤٥ 3.14159 1,000,000",
        String(repeating: "acgt", count: 800), String(repeating: "ab", count: 70),
        "\r\n\r\n  x", " \n \n x", "a\r\rb\n\r\n c \u{2028} d\u{85}\u{85}e\u{1C}f\u{0B}g",
        "x.\n\nfoo", "((word ...\n", "  \n", "\n", "end with spaces   ", "  ",
        "<|endoftext|>", "a<|endoftext|>b", "<|im_start|>user\nhi<|im_end|><|endoftext|>",
        "<|endoftext|<|endoftext|>>", " <|im_end|> ", "[LS]x  [LS]y [RS]  z[RS]", "a word words sword word.",
        "ﬁx ﬁxed fix", "<|pad|>", "<0x41> <unk>",
        "e\u{301} \u{301}\u{301} \u{0627}\u{064B} 한국어 \u{1100}\u{1161}\u{11A8} Å Å",
        "ẞ ǅ ﬁ ① ＡＢＣ ㎏ ½ ™ ﷺ", "👩🏽‍💻🧑‍🤝‍🧑 ok 🇯🇵🏳️‍🌈 \u{FE0F}",
        "\u{0}\u{7F}\u{9F}\u{200B}\u{200D}\u{FEFF}",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐷𐐷 \u{E000}\u{10FFFD}", "", " ",
    ]

    /// The corpus every tokenizer.json is checked on: real prose and code, the typed multilingual
    /// lines, and the corner cases.
    static func corpus() throws -> [String] {
        try TokenizerFixtures.realLines(count: 1200) + cornerCases + repeatedCharacters
    }

    /// Runs of one character, 2 to 60 long: their segmentations tie in exact arithmetic, so the
    /// rounding of each score decides (Unigram scores as the library parses them, `SerdeFloat`).
    static let repeatedCharacters: [String] = Array("^*=-~#_.").flatMap { c in
        (2...60).map { String(repeating: c, count: $0) }
    }

    /// The library's ids for each line (`encode_batch`), without the post-processor's tokens.
    static func libraryIds(_ json: String, _ lines: [String]) throws -> [[UInt32]] {
        let input = try TokenizerFixtures.write(
            JSONValue.array(lines.map(JSONValue.string)).encoded(), "hf-lines-\(UUID().uuidString).json")
        let script = """
            import json, sys
            from tokenizers import Tokenizer
            tok = Tokenizer.from_file(sys.argv[1])
            lines = json.load(open(sys.argv[2], encoding="utf-8"))
            print(json.dumps([e.ids for e in tok.encode_batch(lines, add_special_tokens=False)]))
            """
        let r = try Python.run(script, [json, input])
        guard r.status == 0 else { throw MoeDataError("tokenizers failed: \(r.stderr)") }
        let parsed = try JSONValue.parse(Data(r.stdout.utf8))
        return (parsed.arrayValue ?? []).map { ids in
            (ids.arrayValue ?? []).compactMap { $0.intValue.flatMap(UInt32.init(exactly:)) }
        }
    }

    /// Encodes the corpus with our encoder and the library and records the first lines that differ;
    /// returns our ids and the lines.
    @discardableResult
    static func checkSameIds(_ path: String, _ name: String, eos: EOSChoice) throws
        -> (ids: [[UInt32]], lines: [String], tokenizer: Tokenizer)
    {
        let tokenizer = try Tokenizer(modelPath: path, sentinels: 0, eos: eos)
        let lines = try corpus()
        let ours = try tokenizer.encodeBatch(lines, jobs: 2)
        let theirs = try libraryIds(path, lines)
        #expect(theirs.count == lines.count)
        var differing = 0
        for (i, line) in lines.enumerated() where i < theirs.count && ours[i] != theirs[i] {
            differing += 1
            guard differing <= 5 else { continue }
            let k = zip(ours[i], theirs[i]).prefix { $0 == $1 }.count
            let excerpt = String(reflecting: String(line.prefix(80)))
            let mine = Array(ours[i][k...].prefix(8))
            let library = Array(theirs[i][k...].prefix(8))
            Issue.record("\(name) line \(i) \(excerpt): at id \(k): ours \(mine) tokenizers \(library)")
        }
        #expect(differing == 0, "\(name): \(differing) of \(lines.count) lines differ")
        return (ours, lines, tokenizer)
    }
}

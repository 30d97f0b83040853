import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// Reading tokenizer.json: hand-written files for the options training does not reach, and the
/// refusal of every component the native encoder does not reproduce, by name.
@Suite struct HuggingFaceFileTests {
    static func write(_ json: JSONValue, _ name: String) throws -> String {
        try TokenizerFixtures.write(json.encoded(), name)
    }

    /// A character BPE: `a b` merges, `bc` is a piece no merge reaches, `<unk>` for the rest.
    static func handWritten(ignoreMerges: Bool, merges: JSONValue, extra: [String: JSONValue] = [:]) -> JSONValue {
        var model: [String: JSONValue] = [
            "type": .string("BPE"), "unk_token": .string("<unk>"), "fuse_unk": .bool(false),
            "ignore_merges": .bool(ignoreMerges), "merges": merges,
            "vocab": .object(["a": .int(0), "b": .int(1), "c": .int(2), "ab": .int(3), "bc": .int(4), "<unk>": .int(5)]
            ),
        ]
        model.merge(extra) { $1 }
        return .object([
            "version": .string("1.0"), "added_tokens": .array([]), "normalizer": .null, "pre_tokenizer": .null,
            "post_processor": .null, "decoder": .null, "model": .object(model),
        ])
    }

    @Test func ignoreMergesAndLegacyMergesGiveTheLibrarysIds() throws {
        let texts = ["abc", "bc", "xbcx", "aab", "bcbc", "cab", "xx", ""]
        let legacy: JSONValue = .array([.string("#version: 0.2"), .string("a b")])
        let pairs: JSONValue = .array([.array([.string("a"), .string("b")])])
        for (name, json) in [
            ("hand-ignore.json", Self.handWritten(ignoreMerges: true, merges: legacy)),
            ("hand-merge.json", Self.handWritten(ignoreMerges: false, merges: pairs)),
            ("hand-fuse.json", Self.handWritten(ignoreMerges: false, merges: pairs, extra: ["fuse_unk": .bool(true)])),
        ] {
            let path = try Self.write(json, name)
            let t = try Tokenizer(modelPath: path, sentinels: 0, eos: .piece("<unk>"))
            #expect(try texts.map { try t.encode($0) } == HuggingFaceFixtures.libraryIds(path, texts), "\(name)")
        }
        let t = try Tokenizer(
            modelPath: try Self.write(Self.handWritten(ignoreMerges: true, merges: legacy), "h.json"),
            sentinels: 0, eos: .piece("<unk>"))
        #expect(try t.encode("bc") == [4])
    }

    /// Replaces one component of a trained file and checks that loading names it.
    func refusal(_ key: String, _ value: JSONValue, mentions: [String]) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: try HuggingFaceFixtures.path("gpt2")))
        guard case .object(var fields) = try JSONValue.parse(data) else { return }
        if key.hasPrefix("model.") {
            guard case .object(var model)? = fields["model"] else { return }
            model[String(key.dropFirst(6))] = value
            fields["model"] = .object(model)
        } else {
            fields[key] = value
        }
        let path = try Self.write(.object(fields), "refused-\(UUID().uuidString).json")
        let error = #expect(throws: MoeDataError.self) {
            try Tokenizer(modelPath: path, sentinels: 0, eos: .piece("<|endoftext|>"))
        }
        for word in mentions + ["not supported"] {
            #expect(error?.description.contains(word) == true, "\(error?.description ?? "") lacks \(word)")
        }
    }

    @Test func unsupportedComponentsAreRefusedByName() throws {
        try refusal("normalizer", .object(["type": .string("Lowercase")]), mentions: ["normalizer Lowercase", "NFKC"])
        try refusal(
            "normalizer",
            .object([
                "type": .string("Sequence"),
                "normalizers": .array([
                    .object(["type": .string("NFC")]), .object(["type": .string("StripAccents")]),
                ]),
            ]), mentions: ["normalizer.normalizers[1]", "StripAccents"])
        try refusal("pre_tokenizer", .object(["type": .string("Whitespace")]), mentions: ["pre_tokenizer Whitespace"])
        let split: JSONValue = .object([
            "type": .string("Split"), "pattern": .object(["Regex": .string(#"\s+|\S+"#)]),
            "behavior": .string("Isolated"), "invert": .bool(false),
        ])
        let byteLevel: JSONValue = .object([
            "type": .string("ByteLevel"), "add_prefix_space": .bool(false), "use_regex": .bool(false),
        ])
        try refusal(
            "pre_tokenizer", .object(["type": .string("Sequence"), "pretokenizers": .array([split, byteLevel])]),
            mentions: ["pretokenizers[0]", #"\\s+|\\S+"#])
        try refusal("model.type", .string("WordPiece"), mentions: ["model WordPiece"])
        try refusal("model.dropout", .double(0.1), mentions: ["dropout"])
    }

    @Test func aFileThatIsNoTokenizerJSONIsRefused() throws {
        let notJSON = try TokenizerFixtures.write("{ \"model\": ", "broken.json")
        let error = #expect(throws: MoeDataError.self) { try Tokenizer(modelPath: notJSON, sentinels: 0) }
        #expect(error?.description.contains("not valid JSON") == true)
        let noMerge = Self.handWritten(ignoreMerges: false, merges: .array([.string("a z")]))
        let bad = #expect(throws: MoeDataError.self) {
            try Tokenizer(modelPath: try Self.write(noMerge, "bad-merge.json"), sentinels: 0, eos: .piece("a"))
        }
        #expect(bad?.description.contains("merges[0]") == true)
    }

    /// serde_json's default float parsing, which the library's Unigram scores go through.
    @Test func scoresAreParsedAsSerdeJSONParsesThem() {
        func parse(_ text: String) -> Double? { SerdeFloat.parse(Array(text.utf8)[...]) }
        // Correctly rounded: -7.2463350191813864; serde_json: 1 ULP away.
        #expect(parse("-7.2463350191813864") == -7.246335019181386)
        #expect(Double("-7.2463350191813864") != -7.246335019181386)
        #expect(parse("-8.573709212675514") == -8.573709212675514)
        #expect(parse("0") == 0 && parse("-5") == -5 && parse("1e-05") == 1e-05 && parse("-1000000.0") == -1e6)
        #expect(parse("12345678901234567890123.5") == 12_345_678_901_234_567_000_000.0)
        #expect(parse("1.") == nil && parse("e5") == nil && parse("1x") == nil)
    }
}

import Foundation
import JSON
import MDS
import PackedFormat
import Testing

struct PackedMetadataTests {
    static let sample = PackedMetadata(
        vocabSize: 1300, paddedVocabSize: 1408, pieces: 1000, sentinels: 300, eosId: 1, padId: 0, seqLen: 2048,
        tokenizer: "/t/sample.model", tokenizerXXH64: "0123456789abcdef", seed: UInt64.max, rows: 7, mixture: "m",
        phases: [.init(index: 0, name: "v1", objective: "ul2", seqLen: 2048, budget: 1_000_000)])

    @Test func writtenFileReadsBackWithItsVersion() throws {
        let text = String(decoding: Self.sample.encoded(), as: UTF8.self)
        #expect(text.contains("\"format_version\": 1, "))
        #expect(text.contains("\"seed\": -1, "))
        let json = try JSONValue.parse(Data(text.utf8))
        #expect(try PackedMetadata(json: json, file: "m.json") == Self.sample)
    }

    /// The sentence names the file, the version found and the version this moe-data reads.
    @Test func otherOrMissingVersionIsRefused() throws {
        guard case .object(var fields) = Self.sample.json else { Issue.record("not an object"); return }
        for (version, needle) in [
            (JSONValue.int(3), "has format_version 3, written by a newer moe-data"),
            (.int(0), "has format_version 0, written by an older moe-data"),
            (.string("1"), "has format_version \"1\", not an integer"),
            (.null, "was written by an older moe-data (no format_version)"),
        ] {
            fields["format_version"] = version == .null ? nil : version
            #expect {
                try PackedMetadata(json: .object(fields), file: "/x/packed/moe-data.json")
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("/x/packed/moe-data.json ") && text.contains(needle)
                    && text.contains("this moe-data reads format_version 1 or 2: rebuild it with `moe-data build`")
            }
        }
    }

    /// Sentinels that are the model's own pieces are recorded; appended ones add no key (the files
    /// written before `from_model` stay byte for byte the same); another value is refused.
    @Test func sentinelSourceIsRecordedOnlyForTheModelsOwn() throws {
        var own = Self.sample
        own.sentinelsFromModel = true
        let text = String(decoding: own.encoded(), as: UTF8.self)
        #expect(text.contains("\"sentinel_source\": \"from_model\""))
        #expect(!String(decoding: Self.sample.encoded(), as: UTF8.self).contains("sentinel_source"))
        #expect(try PackedMetadata(json: JSONValue.parse(Data(text.utf8)), file: "m.json") == own)
        guard case .object(var fields) = own.json else { Issue.record("not an object"); return }
        fields["sentinel_source"] = .string("appended")
        #expect {
            try PackedMetadata(json: .object(fields), file: "m.json")
        } throws: { "\($0)".contains("key 'sentinel_source' missing or not 'from_model'") }
    }

    /// Explicit rows keep version 1 and no layout key; compact rows are version 2 with the key.
    @Test func compactLayoutIsVersionTwoWithItsName() throws {
        var compact = Self.sample
        compact.layout = .compact
        let text = String(decoding: compact.encoded(), as: UTF8.self)
        #expect(text.contains("\"format_version\": 2, ") && text.contains("\"layout\": \"compact\", "))
        #expect(!String(decoding: Self.sample.encoded(), as: UTF8.self).contains("layout"))
        #expect(try PackedMetadata(json: JSONValue.parse(Data(text.utf8)), file: "m.json") == compact)
    }

    /// A layout this moe-data does not know is refused with one sentence naming the file and the layout.
    @Test func unknownLayoutIsRefused() throws {
        var compact = Self.sample
        compact.layout = .compact
        guard case .object(var fields) = compact.json else { Issue.record("not an object"); return }
        fields["layout"] = .string("bitpacked")
        #expect {
            try PackedMetadata(json: .object(fields), file: "/x/packed/moe-data.json")
        } throws: { error in
            "\(error)" == "/x/packed/moe-data.json: layout 'bitpacked' is not one this moe-data reads "
                + "(explicit, compact); a newer moe-data wrote it, or the file was edited: rebuild it with "
                + "`moe-data build`"
        }
        fields["layout"] = nil
        #expect {
            try PackedMetadata(json: .object(fields), file: "m.json")
        } throws: { "\($0)" == "m.json: key 'layout' missing or not a string" }
    }

    @Test func missingKeysAreNamed() throws {
        guard case .object(var fields) = Self.sample.json else { Issue.record("not an object"); return }
        fields["phases"] = .array([.object(["index": .int(0), "name": .string("v1")])])
        #expect {
            try PackedMetadata(json: .object(fields), file: "m.json")
        } throws: { "\($0)" == "m.json: key 'phases[0].objective' missing or not a string" }
    }
}

import ArgumentParser
import Foundation
import JSON
import MoeData

struct TokenizerInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's sizes and special ids (pieces, sentinels, padded embedding size).",
        discussion: """
            Example (umT5): pieces 256000, sentinels 300, vocab_size 256300, padded_vocab_size 256384, \
            sentinel 0 = 256299, sentinel 299 = 256000. With --sentinels from_model, the sentinels are the \
            model's own <extra_id_k> pieces and vocab_size is its piece count.

            Example:
              moe-data tokenizer info -m out/sample/tokenizer/sample.model --json
            """
    )

    @OptionGroup var model: TokenizerModelOptions

    @Flag(help: "Print canonical JSON.")
    var json: Bool = false

    func run() throws {
        let t = try model.load()
        let reserved = ModeToken.allCases.compactMap { t.pieceId($0.rawValue) }.count == ModeToken.allCases.count
        var fields: [(String, JSONValue)] = [
            ("model", .string(t.modelPath)),
            ("xxh64", .string(t.modelHash)),
            ("pieces", .int(Int64(t.pieceCount))),
            ("sentinels", .int(Int64(t.sentinelCount))),
            ("sentinels_from_model", .bool(t.sentinelSource == .fromModel)),
            ("vocab_size", .int(Int64(t.vocabSize))),
            ("padded_vocab_size", .int(Int64(t.paddedVocabSize))),
            ("pad_id", .int(Int64(t.padId))),
            ("eos_id", .int(Int64(t.eosId))),
            ("unk_id", t.unkId.map { .int(Int64($0)) } ?? .null),
            ("byte_fallback", .bool(t.hasByteFallback)),
            ("mode_tokens_reserved", .bool(reserved)),
        ]
        if t.sentinelCount > 0 {
            fields.append(("first_sentinel_id", .int(Int64(try t.sentinel(0)))))
            fields.append(("last_sentinel_id", .int(Int64(try t.sentinel(t.sentinelCount - 1)))))
        }
        if json {
            print(JSONValue.object(Dictionary(uniqueKeysWithValues: fields)).encoded())
        } else {
            for (key, value) in fields {
                if case .string(let s) = value { print("\(key): \(s)") } else { print("\(key): \(value.encoded())") }
            }
        }
    }
}

import FileSupport
import Foundation
import JSON

/// `packed/moe-data.json`: what a packed dataset holds, written by `moe-data build` next to the
/// rows and read by the trainer, `inspect` and `analyze`. `format_version` says which layout of
/// the rows and of this file it describes; readers refuse a version they do not know.
public struct PackedMetadata: Sendable, Equatable {
    /// `sentinel_source` of an output whose sentinels are the tokenizer model's own pieces.
    public static let sentinelsFromModelName = "from_model"

    /// The newest version this moe-data writes and reads. Raise it whenever a column or key changes
    /// name, type or meaning. Version 1 is the first one recorded (earlier files have none): explicit
    /// rows. Version 2 adds the `layout` key, which names the rows' `PackedRowLayout`.
    public static let formatVersion = 2
    /// Every version this moe-data reads.
    public static let readableVersions = 1...formatVersion

    /// The version written for `layout`: explicit rows keep version 1 (byte for byte what earlier
    /// builds wrote, and what earlier readers read); compact rows need version 2, so that a reader
    /// from before the compact layout refuses them by their version instead of missing columns.
    public static func formatVersion(for layout: PackedRowLayout) -> Int {
        layout == .explicit ? 1 : 2
    }

    /// One mixture phase, in order.
    public struct Phase: Sendable, Equatable {
        public var index: Int
        public var name: String
        /// "ul2" or "causal".
        public var objective: String
        public var seqLen: Int
        /// Source tokens the phase consumes.
        public var budget: Int

        public init(index: Int, name: String, objective: String, seqLen: Int, budget: Int) {
            self.index = index
            self.name = name
            self.objective = objective
            self.seqLen = seqLen
            self.budget = budget
        }
    }

    /// Token ids in the rows are below this: tokenizer pieces plus sentinels.
    public var vocabSize: Int
    /// `vocabSize` rounded up to a multiple of 128, the embedding rows a model needs.
    public var paddedVocabSize: Int
    public var pieces: Int
    public var sentinels: Int
    /// True when the sentinels are the tokenizer model's own `<extra_id_k>` pieces (`from_model`,
    /// key `sentinel_source`), false when appended after its pieces (the key is then absent).
    public var sentinelsFromModel: Bool
    public var eosId: Int
    public var padId: Int
    /// The longest row length over the phases.
    public var seqLen: Int
    /// The tokenizer model's path and its xxh64.
    public var tokenizer: String
    public var tokenizerXXH64: String
    public var seed: UInt64
    public var rows: Int
    public var mixture: String
    public var phases: [Phase]
    /// How the rows store their per-token columns.
    public var layout: PackedRowLayout

    public init(
        vocabSize: Int, paddedVocabSize: Int, pieces: Int, sentinels: Int, eosId: Int, padId: Int,
        seqLen: Int, tokenizer: String, tokenizerXXH64: String, seed: UInt64, rows: Int, mixture: String,
        phases: [Phase], layout: PackedRowLayout = .explicit, sentinelsFromModel: Bool = false
    ) {
        self.vocabSize = vocabSize
        self.paddedVocabSize = paddedVocabSize
        self.pieces = pieces
        self.sentinels = sentinels
        self.eosId = eosId
        self.padId = padId
        self.seqLen = seqLen
        self.tokenizer = tokenizer
        self.tokenizerXXH64 = tokenizerXXH64
        self.seed = seed
        self.rows = rows
        self.mixture = mixture
        self.phases = phases
        self.layout = layout
        self.sentinelsFromModel = sentinelsFromModel
    }

    /// The file's keys.
    enum Key: String {
        case formatVersion = "format_version", vocabSize = "vocab_size", paddedVocabSize = "padded_vocab_size"
        case pieces, sentinels, eosId = "eos_id", padId = "pad_id", seqLen = "seq_len", tokenizer
        case tokenizerXXH64 = "tokenizer_xxh64", seed, rows, mixture, phases, layout
        case sentinelSource = "sentinel_source"
        case index, name, objective, budget
    }

    public var json: JSONValue {
        func int(_ value: Int) -> JSONValue { .int(Int64(value)) }
        var fields: [Key: JSONValue] = [
            .formatVersion: int(PackedMetadata.formatVersion(for: layout)),
            .vocabSize: int(vocabSize), .paddedVocabSize: int(paddedVocabSize), .pieces: int(pieces),
            .sentinels: int(sentinels), .eosId: int(eosId), .padId: int(padId), .seqLen: int(seqLen),
            .tokenizer: .string(tokenizer), .tokenizerXXH64: .string(tokenizerXXH64),
            .seed: .int(Int64(bitPattern: seed)), .rows: int(rows), .mixture: .string(mixture),
            .phases: .array(
                phases.map { phase in
                    .object([
                        Key.index.rawValue: int(phase.index), Key.name.rawValue: .string(phase.name),
                        Key.objective.rawValue: .string(phase.objective), Key.seqLen.rawValue: int(phase.seqLen),
                        Key.budget.rawValue: int(phase.budget),
                    ])
                }),
        ]
        if layout != .explicit { fields[.layout] = .string(layout.rawValue) }
        if sentinelsFromModel { fields[.sentinelSource] = .string(PackedMetadata.sentinelsFromModelName) }
        return .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.key.rawValue, $0.value) }))
    }

    /// The file's bytes (keys sorted, as every JSON file moe-data writes).
    public func encoded() -> [UInt8] { Array(json.encoded().utf8) }

    /// Reads and checks `moe-data.json`; the errors name the file.
    public static func read(_ url: URL) throws -> PackedMetadata {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PackedFormatError("\(url.path): missing; `moe-data build` writes it next to the packed rows")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw PackedFormatError("\(url.path): \(error)") }
        return try PackedMetadata(json: json, file: url.path)
    }

    /// Checks the format version first, then every key; `file` names the source in errors.
    public init(json: JSONValue, file: String) throws {
        let version = try PackedMetadata.checkVersion(json[Key.formatVersion.rawValue], file: file)
        let fields = MetadataFields(json: json, file: file)
        self.init(
            vocabSize: try fields.count(.vocabSize), paddedVocabSize: try fields.count(.paddedVocabSize),
            pieces: try fields.count(.pieces), sentinels: try fields.count(.sentinels),
            eosId: try fields.count(.eosId), padId: try fields.count(.padId), seqLen: try fields.count(.seqLen),
            tokenizer: try fields.string(.tokenizer), tokenizerXXH64: try fields.string(.tokenizerXXH64),
            seed: UInt64(bitPattern: try fields.integer(.seed)), rows: try fields.count(.rows),
            mixture: try fields.string(.mixture), phases: try fields.phases(),
            layout: version == 1 ? .explicit : try fields.layout(), sentinelsFromModel: try fields.sentinelsFromModel())
        guard vocabSize > 0, paddedVocabSize >= vocabSize else {
            throw PackedFormatError(
                "\(file): padded_vocab_size \(paddedVocabSize) must be ≥ vocab_size \(vocabSize) > 0")
        }
    }

    /// One sentence naming the file, the version found and the versions this moe-data reads.
    static func checkVersion(_ value: JSONValue?, file: String) throws -> Int {
        let readable = PackedMetadata.readableVersions
        let reads = "this moe-data reads format_version " + readable.map(String.init).joined(separator: " or ")
        let rebuild = "rebuild it with `moe-data build`"
        guard let value else {
            throw PackedFormatError(
                "\(file) was written by an older moe-data (no format_version); \(reads): \(rebuild)")
        }
        guard let found = value.intValue.map({ Int($0) }) else {
            throw PackedFormatError(
                "\(file) has format_version \(value.encoded()), not an integer; \(reads): \(rebuild)")
        }
        guard readable.contains(found) else {
            let writer = found < readable.lowerBound ? "an older" : "a newer"
            throw PackedFormatError(
                "\(file) has format_version \(found), written by \(writer) moe-data, but \(reads): \(rebuild)")
        }
        return found
    }
}

import Foundation
import MDS

/// The end of a build: `packed/` gets the rows, their index and `moe-data.json`, all made from
/// what the catalog records (see `PackedPublisher`).
extension Build {
    var publisher: PackedPublisher { PackedPublisher(output: URL(fileURLWithPath: manifest.output)) }

    /// Writes index.json and moe-data.json from the catalog and puts the rows in place.
    func publish(catalog: Catalog, tokenizer: Tokenizer, seed: UInt64,
                 rows: Int) throws -> PackedPublisher.Outcome {
        let shards = try catalog.shardEntries(dataset: PackedRows.directoryName)
        let index = Array(MDSIndex(shards: shards).json.encoded().utf8)
        let meta = metadata(tokenizer: tokenizer, seed: seed, rows: rows)
        return try publisher.publish(.init(shards: shards, index: index, metadata: meta))
    }

    /// `packed/moe-data.json`, from what the catalog records.
    func metadata(tokenizer: Tokenizer, seed: UInt64, rows: Int) -> [UInt8] {
        let lengths = mixture.phases.map(\.seqLen)
        let meta: JSONValue = .object([
            "vocab_size": .int(Int64(tokenizer.vocabSize)),
            "padded_vocab_size": .int(Int64(tokenizer.paddedVocabSize)),
            "pieces": .int(Int64(tokenizer.pieceCount)), "sentinels": .int(Int64(tokenizer.sentinelCount)),
            "eos_id": .int(Int64(tokenizer.eosId)), "pad_id": .int(Int64(tokenizer.padId)),
            "seq_len": .int(Int64(lengths.max() ?? 0)), "tokenizer": .string(tokenizer.modelPath),
            "tokenizer_xxh64": .string(tokenizer.modelHash), "seed": .int(Int64(bitPattern: seed)),
            "rows": .int(Int64(rows)),
            "mixture": .string(mixture.name), "phases": .array(mixture.phases.enumerated().map { i, p in
                .object(["index": .int(Int64(i)), "name": .string(p.name),
                         "objective": .string(p.objective.type.rawValue), "seq_len": .int(Int64(p.seqLen)),
                         "budget": .int(Int64(p.budget))])
            }),
        ])
        return Array(meta.encoded().utf8)
    }
}

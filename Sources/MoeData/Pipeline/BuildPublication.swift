import Foundation
import MDS

/// The end of a build: `packed/` gets the rows, their index and `moe-data.json`, all made from
/// what the catalog records (see `PackedPublisher`).
extension Build {
    var publisher: PackedPublisher { PackedPublisher(output: URL(fileURLWithPath: manifest.output)) }

    /// Writes index.json and moe-data.json from the catalog and puts the rows in place.
    /// `writtenFrom`: the first shard this process wrote, if it wrote any.
    func publish(
        catalog: Catalog, tokenizer: Tokenizer, seed: UInt64,
        rows: Int, writtenFrom: Int? = nil
    ) throws -> PackedPublisher.Outcome {
        let shards = try catalog.shardEntries(dataset: PackedRows.directoryName)
        let index = Array(MDSIndex(shards: shards).json.encoded().utf8)
        let meta = metadata(tokenizer: tokenizer, seed: seed, rows: rows)
        var expected = PackedPublisher.Expected(shards: shards, index: index, metadata: meta)
        if let first = writtenFrom { expected.hashedAsWritten = min(first, shards.count)..<shards.count }
        return try publisher.publish(expected)
    }

    /// `packed/moe-data.json`, from what the catalog records.
    func metadata(tokenizer: Tokenizer, seed: UInt64, rows: Int) -> [UInt8] {
        PackedRows.metadata(
            tokenizer: tokenizer, mixture: mixture, seed: seed, rows: rows, layout: manifest.packedFormat
        ).encoded()
    }
}

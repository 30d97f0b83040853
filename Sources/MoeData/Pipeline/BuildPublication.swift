import Foundation
import MDS

/// The end of a build: `packed/` gets the rows, their index and `moe-data.json`, all made from
/// what the catalog records (see `PackedPublisher`).
extension Build {
    var publisher: PackedPublisher { PackedPublisher(output: URL(fileURLWithPath: manifest.output)) }

    /// Writes index.json and moe-data.json from the catalog and puts the rows in place.
    func publish(
        catalog: Catalog, tokenizer: Tokenizer, seed: UInt64,
        rows: Int
    ) throws -> PackedPublisher.Outcome {
        let shards = try catalog.shardEntries(dataset: PackedRows.directoryName)
        let index = Array(MDSIndex(shards: shards).json.encoded().utf8)
        let meta = metadata(tokenizer: tokenizer, seed: seed, rows: rows)
        return try publisher.publish(.init(shards: shards, index: index, metadata: meta))
    }

    /// `packed/moe-data.json`, from what the catalog records.
    func metadata(tokenizer: Tokenizer, seed: UInt64, rows: Int) -> [UInt8] {
        PackedRows.metadata(
            tokenizer: tokenizer, mixture: mixture, seed: seed, rows: rows, layout: manifest.packedFormat
        ).encoded()
    }
}

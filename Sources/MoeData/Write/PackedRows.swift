import Foundation
import MDS
import PackedFormat

/// The packed training rows `moe-data build` writes to `<output>/packed/` (docs/formats.md): one
/// MDS sample per row, plus `moe-data.json`. Names, columns and the metadata's keys come from `PackedFormat`.
public enum PackedRows {
    public static let directoryName = PackedLayout.directoryName
    public static let metadataFile = PackedLayout.metadataFile

    /// `layout`'s columns; per-token ones are fixed-size when every phase has the same row length
    /// (the usual case), else variable-size.
    public static func columns(rowLength: Int?, layout: PackedRowLayout = .explicit) -> [MDSColumn] {
        PackedColumn.columns(rowLength: rowLength, layout: layout)
    }

    /// The row's values in the writer's (sorted) column order.
    static func values(_ row: PackedRow, phase: Int, layout: PackedRowLayout) throws -> [MDSValue] {
        do { return try row.values(phase: phase, layout: layout) } catch { throw MoeDataError("\(error)") }
    }

    /// `moe-data.json` for rows packed with `tokenizer` from `mixture` in `layout` (the format
    /// version that layout needs).
    static func metadata(
        tokenizer: Tokenizer, mixture: Mixture, seed: UInt64, rows: Int, layout: PackedRowLayout
    ) -> PackedMetadata {
        PackedMetadata(
            vocabSize: tokenizer.vocabSize, paddedVocabSize: tokenizer.paddedVocabSize, pieces: tokenizer.pieceCount,
            sentinels: tokenizer.sentinelCount, eosId: Int(tokenizer.eosId), padId: Int(tokenizer.padId),
            seqLen: mixture.phases.map(\.seqLen).max() ?? 0, tokenizer: tokenizer.modelPath,
            tokenizerXXH64: tokenizer.modelHash, seed: seed, rows: rows, mixture: mixture.name,
            phases: mixture.phases.enumerated().map { i, phase in
                PackedMetadata.Phase(
                    index: i, name: phase.name, objective: phase.objective.type.rawValue,
                    seqLen: phase.seqLen, budget: phase.budget)
            }, layout: layout, sentinelsFromModel: tokenizer.sentinelSource == .fromModel)
    }
}

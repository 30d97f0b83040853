import Foundation
import MDS
import PackedFormat

/// Turns a packed row back into readable text: each segment with its source, objective,
/// denoiser and documents; the prefix (mode token + inputs) and the targets shown apart;
/// sentinels as `<extra_id_k>`, EOS as `</s>`. It reads a build's output back, so it sits after
/// the stages that write it and decodes with the tokenizer `moe-data.json` names.
public struct RowInspector {
    public let packed: MDSDataset
    public let tokenizer: Tokenizer
    /// `moe-data.json`, its format version checked.
    public let metadata: PackedMetadata
    public let locator: RowLocator

    public init(outputDirectory: String) throws {
        let dir = URL(fileURLWithPath: outputDirectory).appendingPathComponent(PackedLayout.directoryName)
        let metaURL = dir.appendingPathComponent(PackedLayout.metadataFile)
        guard FileManager.default.fileExists(atPath: metaURL.path) else {
            throw MoeDataError("\(metaURL.path): missing; is \(outputDirectory) the output of `moe-data build`?")
        }
        do { metadata = try PackedMetadata.read(metaURL) } catch { throw MoeDataError("\(error)") }
        packed = try MDSDataset(directory: dir)
        locator = RowLocator(shardRows: packed.index.shards.map(\.samples))
        tokenizer = try Tokenizer(
            modelPath: metadata.tokenizer,
            sentinels: metadata.sentinelsFromModel ? .fromModel : .appended(metadata.sentinels),
            eos: .id(UInt32(clamping: metadata.eosId)))
    }

    public var rowCount: Int { locator.rowCount }

    /// Row `n` of the output, with its provenance, and its phase.
    public func row(_ n: Int) throws -> (row: PackedRow, phase: Int) {
        guard let (shard, local) = locator.locate(n) else {
            throw MoeDataError("row \(n) does not exist; the output has \(rowCount) rows (0..<\(rowCount))")
        }
        let origin = PackedRow.origin(directory: packed.directory, shard: packed.index.shards[shard], row: local)
        let sample = try packed.shard(shard).sampleByName(local)
        let phase = PackedRow.phase(of: sample) ?? -1
        do {
            let row = try PackedRow(sample: sample, layout: metadata.layout, origin: origin, withProvenance: true)
            return (row, phase)
        } catch {
            throw MoeDataError("\(error)")
        }
    }

    public func render(row n: Int, showIds: Bool = false) throws -> String {
        let (row, phase) = try row(n)
        // Phases are numbered from 1 as `stats` and `plan` number them ("Phase 1 of 2").
        let phaseName = metadata.phases.first { $0.index == phase }?.name ?? "?"
        let segments = row.segments.count == 1 ? "1 segment" : "\(row.segments.count) segments"
        var out = "row \(n) of \(rowCount): Phase \(phase + 1) of \(metadata.phases.count) (\(phaseName)), "
        out += "\(row.tokens.count) tokens, "
        out += "\(segments), \(row.padding) padding\n"
        for (k, segment) in row.segments.enumerated() {
            out += try render(segment, id: UInt16(k + 1), of: row, showIds: showIds)
        }
        return out
    }

    /// Segment `id` of `row` (the k-th provenance entry names segment id k).
    func render(_ segment: SegmentProvenance, id: UInt16, of row: PackedRow, showIds: Bool) throws -> String {
        let idx = row.segmentIds.indices.filter { row.segmentIds[$0] == id }
        let docs = segment.pieces.map { "\($0.docId) [from token \($0.offset), \($0.count) tokens]" }
        let nPrefix = idx.filter { row.prefix[$0] == 1 }.count
        let nLoss = idx.filter { row.lossMask[$0] == 1 }.count
        var out = "\n── segment \(id): source \(segment.source), \(segment.objective)"
        if let d = segment.denoiser { out += ", denoiser \(d)" }
        out += ", \(idx.count) tokens (prefix \(nPrefix), loss on \(nLoss))\n"
        out += "   documents: " + docs.joined(separator: "; ") + "\n"
        let prefixIds = idx.filter { row.prefix[$0] == 1 }.map { row.tokens[$0] }
        let otherIds = idx.filter { row.prefix[$0] == 0 }.map { row.tokens[$0] }
        if !prefixIds.isEmpty { out += "   [inputs, no loss]  " + (try readable(prefixIds)) + "\n" }
        out += "   [\(nLoss > 0 ? "targets, loss" : "no loss")]  " + (try readable(otherIds)) + "\n"
        if showIds { out += "   ids: " + idx.map { String(row.tokens[$0]) }.joined(separator: " ") + "\n" }
        return out
    }

    /// Decodes ids, splitting at EOS and sentinels so they stay visible.
    func readable(_ ids: [UInt32]) throws -> String {
        var out = ""
        var run: [UInt32] = []
        func flush() throws {
            if !run.isEmpty { out += try tokenizer.decode(run) }
            run = []
        }
        for id in ids {
            if id == tokenizer.eosId {
                try flush(); out += "</s>"
            } else if let k = tokenizer.sentinelIndex(id) {
                try flush(); out += Tokenizer.sentinelPiece(k)
            } else {
                run.append(id)
            }
        }
        try flush()
        return out
    }
}

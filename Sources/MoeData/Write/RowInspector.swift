import Foundation
import JSON
import MDS

/// Turns a packed row back into readable text: each segment with its source, objective,
/// denoiser and documents; the prefix (mode token + inputs) and the targets shown apart;
/// sentinels as `<extra_id_k>`, EOS as `</s>`.
public struct RowInspector {
    public let packed: MDSDataset
    public let tokenizer: Tokenizer
    public let metadata: JSONValue

    public init(outputDirectory: String) throws {
        let dir = URL(fileURLWithPath: outputDirectory).appendingPathComponent(PackedRows.directoryName)
        packed = try MDSDataset(directory: dir)
        let metaURL = dir.appendingPathComponent(PackedRows.metadataFile)
        guard let data = FileManager.default.contents(atPath: metaURL.path) else {
            throw MoeDataError("\(metaURL.path): missing; is \(outputDirectory) the output of `moe-data build`?")
        }
        metadata = try JSONValue.parse(data)
        guard let model = metadata["tokenizer"]?.stringValue else { throw MoeDataError("\(metaURL.path): no 'tokenizer' entry") }
        tokenizer = try Tokenizer(modelPath: model, sentinelCount: Int(metadata["sentinels"]?.intValue ?? 300))
    }

    public var rowCount: Int { packed.sampleCount }

    /// The row's columns by name.
    public func row(_ n: Int) throws -> [String: MDSValue] {
        guard n >= 0 && n < rowCount else { throw MoeDataError("row \(n) does not exist; the output has \(rowCount) rows (0..<\(rowCount))") }
        var base = 0
        for s in 0..<packed.shardCount {
            let count = packed.index.shards[s].samples
            if n < base + count { return try packed.shard(s).sampleByName(n - base) }
            base += count
        }
        throw MoeDataError("row \(n) not found")
    }

    public func render(row n: Int, showIds: Bool = false) throws -> String {
        let r = try row(n)
        let tokens = r["tokens"]?.uint32s ?? []
        let loss = r["loss_mask"]?.uint8s ?? []
        let prefix = r["prefix"]?.uint8s ?? []
        let segs = r["segment_ids"]?.uint16s ?? []
        let provenance = r["provenance"]?.json?.arrayValue ?? []
        let phase = Int(r["phase"]?.int ?? -1)
        let phaseName = metadata["phases"]?.arrayValue?.first { $0["index"]?.intValue == Int64(phase) }?["name"]?.stringValue ?? "?"
        let padding = segs.filter { $0 == 0 }.count
        // Phases are numbered from 1 as `stats` and `plan` number them ("Phase 1 of 2").
        let phaseCount = metadata["phases"]?.arrayValue?.count ?? 0
        let segments = provenance.count == 1 ? "1 segment" : "\(provenance.count) segments"
        var out = "row \(n) of \(rowCount): Phase \(phase + 1) of \(phaseCount) (\(phaseName)), "
        out += "\(tokens.count) tokens, "
        out += "\(segments), \(padding) padding\n"
        for (k, seg) in provenance.enumerated() {
            let id = UInt16(k + 1)
            let idx = segs.indices.filter { segs[$0] == id }
            let docs = (seg["docs"]?.arrayValue ?? []).map { d -> String in
                let a = d.arrayValue ?? []
                return "\(a.first?.stringValue ?? "?") [from token \(a.count > 1 ? a[1].intValue ?? 0 : 0), \(a.count > 2 ? a[2].intValue ?? 0 : 0) tokens]"
            }
            let nPrefix = idx.filter { prefix[$0] == 1 }.count
            let nLoss = idx.filter { loss[$0] == 1 }.count
            out += "\n── segment \(id): source \(seg["source"]?.stringValue ?? "?"), \(seg["objective"]?.stringValue ?? "?")"
            if let d = seg["denoiser"]?.stringValue { out += ", denoiser \(d)" }
            out += ", \(idx.count) tokens (prefix \(nPrefix), loss on \(nLoss))\n"
            out += "   documents: " + docs.joined(separator: "; ") + "\n"
            let prefixIds = idx.filter { prefix[$0] == 1 }.map { tokens[$0] }
            let otherIds = idx.filter { prefix[$0] == 0 }.map { tokens[$0] }
            if !prefixIds.isEmpty { out += "   [inputs, no loss]  " + (try readable(prefixIds)) + "\n" }
            out += "   [\(nLoss > 0 ? "targets, loss" : "no loss")]  " + (try readable(otherIds)) + "\n"
            if showIds { out += "   ids: " + idx.map { String(tokens[$0]) }.joined(separator: " ") + "\n" }
        }
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
            } else if Int(id) >= tokenizer.pieceCount {
                try flush(); out += "<extra_id_\(tokenizer.vocabSize - 1 - Int(id))>"
            } else {
                run.append(id)
            }
        }
        try flush()
        return out
    }
}

import FileSupport
import Foundation
import JSON
import PackedFormat

/// `moe-data export olmo`: one causal phase's mixed token stream as OLMo reads its training data,
/// dolma's token memmaps (pipeline-anchors §2.2).
///
/// The stream is the phase's packed rows in row order with their padding removed: documents, each
/// followed by EOS, in the mixer's exact order (a document the mixer cut into pieces appears where
/// each piece does). It goes to `DIR/<phase>/part-NNNNN.npy` files of at most `maxFileBytes` (1 GiB),
/// each holding a whole number of sequence-length windows but the last, with their `.csv.gz`
/// metadata, and `DIR/<phase>.olmo.yaml` lists them for OLMo's `data.paths`. UL2 phases are refused:
/// OLMo's data has no loss mask, so their inputs would be trained on as targets.
///
/// Each file is one unit of the export folder, recorded with the row and token the next one starts
/// at: a killed export resumes after its last whole file and writes the same bytes.
public struct OLMoExport {
    public static let defaultMaxFileBytes = 1 << 30

    public struct Summary: Sendable {
        public var files: [String] = []
        public var tokens = 0
        public var bytesWritten = 0
        public var resumed = 0
        public var config = ""
    }

    let output: BuiltOutput
    let folder: ExportFolder
    let phase: PackedMetadata.Phase
    let itemWidth: Int
    /// Tokens per file: the most whole windows of the phase's sequence length that fit.
    let fileTokens: Int

    public init(output path: String, to destination: String, phase name: String?, maxFileBytes: Int, force: Bool)
        throws
    {
        let output = try BuiltOutput(path)
        self.output = output
        let phase = try OLMoExport.phase(name, of: output)
        self.phase = phase
        itemWidth = output.metadata.paddedVocabSize <= 1 << 16 ? 2 : 4
        let windows = maxFileBytes / itemWidth / phase.seqLen
        guard windows >= 1 else {
            throw MoeDataError(
                "--max-file-bytes \(maxFileBytes) holds no window of \(phase.seqLen) tokens of \(itemWidth) bytes; "
                    + "give at least \(phase.seqLen * itemWidth)")
        }
        fileTokens = windows * phase.seqLen
        let signature = "olmo 1|\(output.directory.path)|\(output.fingerprint)|\(phase.name)|\(fileTokens)"
        folder = try ExportFolder(destination, signature: signature, force: force)
    }

    /// The phase `name`, or the mixture's only causal phase; UL2 refused.
    static func phase(_ name: String?, of output: BuiltOutput) throws -> PackedMetadata.Phase {
        let causal = output.causalPhases.map(\.name)
        let phase: PackedMetadata.Phase
        if let name {
            phase = try output.phase(named: name)
        } else if output.causalPhases.count == 1 {
            phase = output.causalPhases[0]
        } else {
            throw MoeDataError(
                causal.isEmpty
                    ? "\(output.directory.path) has no causal phase: OLMo trains causal LM, and UL2 rows have no "
                        + "equivalent in its data (no loss-mask input)"
                    : "\(output.directory.path) has \(causal.count) causal phases (\(causal.joined(separator: ", "))); "
                        + "choose one with --phase")
        }
        guard phase.objective == "causal" else {
            let others =
                causal.isEmpty ? "this output has none" : "export a causal one: \(causal.joined(separator: ", "))"
            throw MoeDataError(
                "phase '\(phase.name)' is UL2: OLMo's data has no loss-mask input, so its inputs would be trained "
                    + "on as targets; only causal phases export to OLMo (\(others))")
        }
        return phase
    }

    public var destination: URL { folder.url }
    var dtypeName: String { itemWidth == 2 ? "uint16" : "uint32" }

    public func run(progress: (String) -> Void = { _ in }) throws -> Summary {
        var summary = Summary()
        let parts = try folder.folder(phase.name)
        var done = 0
        var start = (row: 0, skip: 0)
        var open: OLMoPartStream.OpenDocument?
        while let state = folder.state(of: OLMoExport.partName(done)) {
            summary.files.append(OLMoExport.partName(done))
            summary.tokens += Int(state["tokens"]?.intValue ?? 0)
            start = (Int(state["row"]?.intValue ?? 0), Int(state["skip"]?.intValue ?? 0))
            open = state["open"].flatMap { open in
                guard let id = open["doc_id"]?.stringValue, let source = open["source"]?.stringValue,
                    let offset = open["offset"]?.intValue
                else { return nil }
                return OLMoPartStream.OpenDocument(docId: id, source: source, offset: Int(offset))
            }
            done += 1
        }
        summary.resumed = done
        var stream = OLMoPartStream(export: self, folder: parts, next: done, open: open)
        defer { stream.discard() }
        try PackedRowReader(output: output).forEachRow(of: phase.index, from: start.row, withProvenance: true) {
            number, row in
            let runs = try DocumentRun.runs(of: row, eosId: UInt32(output.metadata.eosId))
            try stream.add(row: row, number: number, runs: runs, skip: number == start.row ? start.skip : 0) {
                progress("olmo: \(phase.name)/\($0).npy done")
            }
        }
        try stream.finish()
        summary.files += stream.written.map(\.name)
        summary.tokens += stream.written.reduce(0) { $0 + $1.tokens }
        summary.bytesWritten = stream.written.reduce(0) { $0 + $1.tokens * itemWidth }
        summary.config = config(parts: summary.files.map { parts.appendingPathComponent($0 + ".npy").path })
        let configFile = "\(phase.name).olmo.yaml"
        if folder.state(of: "config") == nil {
            try AtomicFile.write(Array(summary.config.utf8), to: folder.url.appendingPathComponent(configFile))
            try folder.record("config", state: .object(["files": .array([.string(configFile)])]))
        }
        try folder.complete(summary: [
            "format": .string("olmo"), "output": .string(output.directory.path), "phase": .string(phase.name),
            "dtype": .string(dtypeName), "eos_id": .int(Int64(output.metadata.eosId)),
            "tokens": .int(Int64(summary.tokens)), "file_tokens": .int(Int64(fileTokens)),
        ])
        return summary
    }

    static func partName(_ index: Int) -> String { String(format: "part-%05d", index) }

    /// Records a finished file with where the next one starts: the row, its tokens already written,
    /// and the document left open at the cut.
    func record(_ name: String, tokens: Int, nextRow: Int, skip: Int, open: OLMoPartStream.OpenDocument?) throws {
        let files = ["npy", "csv.gz"].map { JSONValue.string("\(phase.name)/\(name).\($0)") }
        let openJSON = open.map { open in
            JSONValue.object([
                "doc_id": .string(open.docId), "source": .string(open.source), "offset": .int(Int64(open.offset)),
            ])
        }
        try folder.record(
            name,
            state: .object([
                "files": .array(files), "tokens": .int(Int64(tokens)), "row": .int(Int64(nextRow)),
                "skip": .int(Int64(skip)), "open": openJSON ?? .null,
            ]))
    }

    /// `<phase>.olmo.yaml`: the keys of OLMo's training config that must match the files.
    func config(parts: [String]) -> String {
        let metadata = output.metadata
        var text = """
            # OLMo training config keys for phase \(phase.name) of \(output.directory.path)
            # (written by `moe-data export olmo`). OLMo cuts each file into windows of max_sequence_length
            # tokens and drops a file's last partial window: \(fileTokens) tokens per file keeps every
            # file but the last whole.
            model:
              max_sequence_length: \(phase.seqLen)
              vocab_size: \(metadata.vocabSize)
              embedding_size: \(metadata.paddedVocabSize)
              eos_token_id: \(metadata.eosId)
              pad_token_id: \(metadata.padId)
            data:
              memmap_dtype: \(dtypeName)
              paths:

            """
        for path in parts { text += "    - \(path)\n" }
        return text
    }
}

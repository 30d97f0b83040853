import FileSupport
import Foundation
import JSON
import PackedFormat

/// `moe-data export megatron`: the build's sources and causal rows as Megatron-LM indexed datasets.
///
/// - `<source>.bin/.idx` per source: one sequence per document of its token shards, in canonical
///   order, EOS appended (`preprocess_data.py --append-eod`), each document its own sequence.
/// - `rows/<phase>.bin/.idx` per causal phase: one sequence (and document) per packed row, in row
///   order, padding included, so every sequence has the phase's row length.
/// - `<phase>.blend.json` and `<phase>.data-path.txt` per phase: the `--data-path` blend of the
///   sources with the phase's planned token shares.
///
/// Each dataset is one unit of the export folder: a killed export resumes after the last whole one.
public struct MegatronExport {
    public struct Summary: Sendable {
        public var datasets: [(name: String, sequences: Int, bytes: Int)] = []
        public var dataPaths: [(phase: String, dataPath: String)] = []
        /// Bytes of `.bin` and `.idx` written by this run (not counting resumed datasets).
        public var bytesWritten = 0
        public var resumed = 0
    }

    let output: BuiltOutput
    let folder: ExportFolder
    let phases: [PackedMetadata.Phase]
    let tokenType: IndexedDatasetWriter.TokenType

    /// `phase`: only that phase's blend and rows (every source is still exported).
    public init(output path: String, to destination: String, phase: String?, force: Bool) throws {
        let output = try BuiltOutput(path)
        self.output = output
        phases = try phase.map { [try output.phase(named: $0)] } ?? output.metadata.phases
        tokenType = IndexedDatasetWriter.TokenType(paddedVocabSize: output.metadata.paddedVocabSize)
        let signature = "megatron 1|\(output.directory.path)|\(output.fingerprint)|\(phase ?? "*")"
        folder = try ExportFolder(destination, signature: signature, force: force)
    }

    public var destination: URL { folder.url }

    public func run(progress: (String) -> Void = { _ in }) throws -> Summary {
        var summary = Summary()
        for source in output.sources {
            try unit("source:\(source)", name: source, prefix: folder.url.appendingPathComponent(source), &summary) {
                writer in
                try writeSource(source, to: writer)
            }
            progress("megatron: \(source) done")
        }
        let rows = try folder.folder("rows")
        for phase in phases where phase.objective == "causal" {
            try unit(
                "rows:\(phase.name)", name: "rows/\(phase.name)", prefix: rows.appendingPathComponent(phase.name),
                &summary
            ) { writer in
                try PackedRowReader(output: output).forEachRow(of: phase.index, withProvenance: false) { _, row in
                    try writer.addSequence(row.tokens)
                    try writer.endDocument()
                }
            }
            progress("megatron: rows of phase \(phase.name) done")
        }
        for phase in phases {
            let blend = MegatronBlend(phase: phase, targets: output.targets(of: phase)) {
                folder.url.appendingPathComponent($0).path
            }
            summary.dataPaths.append((phase.name, blend.dataPath))
            guard folder.state(of: "blend:\(phase.name)") == nil else { continue }
            let json = "\(phase.name).blend.json", text = "\(phase.name).data-path.txt"
            try AtomicFile.write(Array((blend.json.encoded() + "\n").utf8), to: folder.url.appendingPathComponent(json))
            try AtomicFile.write(Array((blend.dataPath + "\n").utf8), to: folder.url.appendingPathComponent(text))
            try folder.record("blend:\(phase.name)", state: .object(["files": .array([.string(json), .string(text)])]))
        }
        try folder.complete(summary: [
            "format": .string("megatron"), "output": .string(output.directory.path),
            "dtype": .string(tokenType.name), "eos_id": .int(Int64(output.metadata.eosId)),
            "padded_vocab_size": .int(Int64(output.metadata.paddedVocabSize)),
        ])
        return summary
    }

    /// Writes one dataset unless an earlier run finished it, and records it.
    private func unit(
        _ unit: String, name: String, prefix: URL, _ summary: inout Summary,
        _ fill: (IndexedDatasetWriter) throws -> Void
    ) throws {
        if let state = folder.state(of: unit) {
            summary.datasets.append((name, Int(state["sequences"]?.intValue ?? 0), Int(state["bytes"]?.intValue ?? 0)))
            summary.resumed += 1
            return
        }
        let writer = try IndexedDatasetWriter(prefix: prefix, tokenType: tokenType)
        do {
            try fill(writer)
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        let bytes = try [IndexedDatasetWriter.binURL(prefix), IndexedDatasetWriter.idxURL(prefix)].reduce(0) {
            $0 + ((try FileManager.default.attributesOfItem(atPath: $1.path)[.size] as? Int) ?? 0)
        }
        summary.datasets.append((name, writer.sequenceCount, bytes))
        summary.bytesWritten += bytes
        try folder.record(
            unit,
            state: .object([
                "files": .array([.string(name + ".bin"), .string(name + ".idx")]),
                "sequences": .int(Int64(writer.sequenceCount)), "bytes": .int(Int64(bytes)),
            ]))
    }

    private func writeSource(_ source: String, to writer: IndexedDatasetWriter) throws {
        let eos = UInt32(output.metadata.eosId)
        try SourceTokenReader(source: source, directory: output.tokensDirectory(source)).forEachDocument { tokens in
            try writer.addSequence(tokens, then: eos)
            try writer.endDocument()
        }
    }
}

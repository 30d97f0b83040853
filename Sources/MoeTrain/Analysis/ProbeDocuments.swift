import Foundation
import JSON
import PackedFormat

/// `analyze --probe`: documents that are not in the mixture (e.g. instruction/response pairs), packed
/// like training rows so that they run through the model in routing groups of the same size, at the
/// same capacity factor (OpenMoE §4.3: out-of-distribution input gets more tokens dropped).
public enum ProbeDocuments {
    /// The text fields a probe line may have: `text`, or a prompt part and an answer part joined by a
    /// line break (`instruction`/`prompt`/`input`/`question`, then `response`/`output`/`answer`).
    static let promptKeys = ["instruction", "prompt", "input", "question"]
    static let answerKeys = ["response", "output", "answer"]

    /// One text per non-blank line of a JSONL file; errors name the file and line.
    public static func texts(jsonl url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw TrainError("\(url.path): cannot read the probe file") }
        var out: [String] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let object = try? JSONValue.parse(Data(line.utf8)).objectValue else {
                throw TrainError("\(url.path):\(i + 1): not a JSON object")
            }
            if let text = object["text"]?.stringValue {
                out.append(text)
                continue
            }
            let parts = [promptKeys, answerKeys].compactMap { keys in
                keys.lazy.compactMap { object[$0]?.stringValue }.first
            }
            guard !parts.isEmpty else {
                throw TrainError(
                    "\(url.path):\(i + 1): no 'text' field and no \(promptKeys.joined(separator: "/")) or "
                        + "\(answerKeys.joined(separator: "/")) field")
            }
            out.append(parts.joined(separator: "\n"))
        }
        guard !out.isEmpty else { throw TrainError("\(url.path): the probe file holds no document") }
        return out
    }

    /// Documents (token ids, EOS included) packed next-fit into rows of `seqLen`, as the build packs
    /// causal examples: each document is one segment with positions from 0 and every token a target; a
    /// document longer than a row is cut into row-long pieces.
    public static func pack(_ documents: [[UInt32]], seqLen: Int) -> [AnalysisRow] {
        var rows: [AnalysisRow] = []
        var tokens: [UInt32] = [], segments: [UInt16] = [], positions: [UInt16] = []
        func flush() {
            guard !tokens.isEmpty else { return }
            let pad = seqLen - tokens.count
            let row = PackedRow(
                tokens: tokens + [UInt32](repeating: 0, count: pad),
                lossMask: [UInt8](repeating: 1, count: tokens.count) + [UInt8](repeating: 0, count: pad),
                segmentIds: segments + [UInt16](repeating: 0, count: pad),
                positions: positions + [UInt16](repeating: 0, count: pad),
                prefix: [UInt8](repeating: 0, count: seqLen), origin: "probe row \(rows.count)")
            rows.append(AnalysisRow(row: row, segmentSources: [:]))
            tokens = []
            segments = []
            positions = []
        }
        for document in documents {
            var start = 0
            while start < document.count {
                let piece = document[start..<min(document.count, start + seqLen)]
                if tokens.count + piece.count > seqLen { flush() }
                let segment = UInt16(clamping: (segments.last ?? 0) + 1)
                tokens += piece
                segments += [UInt16](repeating: segment, count: piece.count)
                positions += (0..<piece.count).map { UInt16(clamping: $0) }
                start += piece.count
            }
        }
        flush()
        return rows
    }
}

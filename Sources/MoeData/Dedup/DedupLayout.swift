import Foundation

/// Where the dedup stage keeps its work (`<output>/dedup/work/`) and its result for the mixer
/// (`<output>/dedup/removed/<source>.removed`), and the sizes of its records.
/// A task of a split stage (`--task I --tasks N`) keeps its work in `work/task-I-of-N/`.
struct DedupLayout {
    let outputDirectory: String
    var task: DedupTask? = nil

    var root: URL { URL(fileURLWithPath: outputDirectory).appendingPathComponent("dedup") }
    var sharedWork: URL { root.appendingPathComponent("work") }
    var work: URL { task.map { sharedWork.appendingPathComponent($0.name) } ?? sharedWork }
    var removed: URL { root.appendingPathComponent("removed") }

    func workFile(_ source: String, _ kind: String) -> URL { work.appendingPathComponent("\(source).\(kind)") }

    /// Scope (2 bytes), the normalized text's SHA-256 (32), the document key (8).
    static let exactRecordSize = 42
    /// Scope (2), band (1), bucket key (8), document key (8).
    static let bandRecordSize = 19
    /// Per document: where its id ends in the ids file (8), its tokens (8).
    static let documentRecordSize = 16
    /// A contaminated document: its ordinal (8), the evaluation passage (8).
    static let contaminationRecordSize = 16
}

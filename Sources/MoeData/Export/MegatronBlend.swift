import Foundation
import JSON
import PackedFormat

/// One phase's blend of the per-source indexed datasets, as Megatron-LM's `--data-path w1 p1 w2 p2 ...`
/// takes it: each source's weight is its target source tokens in the phase, divided by the phase's
/// total (the plan the build recorded); sources the phase does not draw from are left out.
struct MegatronBlend {
    struct Entry {
        let source: String
        let prefix: String
        let targetTokens: Int
        let weight: Double
    }

    let phase: PackedMetadata.Phase
    let entries: [Entry]

    init(phase: PackedMetadata.Phase, targets: [(source: String, tokens: Int)], prefix: (String) -> String) {
        self.phase = phase
        let drawn = targets.filter { $0.tokens > 0 }
        let total = drawn.reduce(0) { $0 + $1.tokens }
        entries = drawn.map { target in
            Entry(
                source: target.source, prefix: prefix(target.source), targetTokens: target.tokens,
                weight: Double(target.tokens) / Double(total))
        }
    }

    /// The words after `--data-path`, weights in the shortest decimal form that reads back exactly.
    var dataPath: String {
        entries.map { "\($0.weight) \($0.prefix)" }.joined(separator: " ")
    }

    /// `<phase>.blend.json`.
    var json: JSONValue {
        .object([
            "phase": .string(phase.name), "phase_index": .int(Int64(phase.index)),
            "objective": .string(phase.objective), "seq_len": .int(Int64(phase.seqLen)),
            "budget": .int(Int64(phase.budget)),
            "datasets": .array(
                entries.map { entry in
                    .object([
                        "source": .string(entry.source), "prefix": .string(entry.prefix),
                        "target_tokens": .int(Int64(entry.targetTokens)), "weight": .double(entry.weight),
                    ])
                }),
            "data_path": .string(dataPath),
        ])
    }
}

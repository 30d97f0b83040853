import Foundation
import Testing

@testable import MoeData

/// A tiny corpus under the presets' source names, and seeded mutations of the presets, for the
/// property that `build` refuses exactly what `plan` refuses and never harms a complete output.
enum BuildRefusalFixtures {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let sources = [
        "arxiv", "book", "c4", "common_crawl", "github", "stackexchange", "the_stack",
        "wikipedia", "wikipedia_en",
    ]

    /// A manifest with the presets' nine sources, two or three real documentation files each
    /// (a few thousand tokens per source with the test tokenizer).
    static func manifest(in dir: URL) throws -> String {
        let files = try TestSupport.realTextFiles(40)
        var text = """
            name: refusal
            output: out
            on_error: skip
            shard_size: 64KiB
            tokenizer:
              model: \(TestSupport.model)
              sentinels: 300
            sources:

            """
        for (i, name) in sources.enumerated() {
            let picked = (0..<3).map { files[(i * 4 + $0) % files.count] }
            text +=
                "  - {name: \(name), format: text, paths: [\(picked.joined(separator: ", "))], domain: "
                + "\(name.contains("stack") || name == "github" ? "code" : "web")}\n"
        }
        let path = dir.appendingPathComponent("manifest.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Mutation {
        var kinds: [String]
        var yaml: String
        var totalTokens = "12000"
        var maxEpochs = "100"
        var arguments: [String] { ["--total-tokens=\(totalTokens)", "--max-epochs=\(maxEpochs)"] }
    }

    /// SplitMix64: a tiny seeded generator, so every run tries the same mutations.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }
    }

    /// Replaces the first (or a random) occurrence of `pattern` (a regular expression) with `with`.
    static func replace(_ text: inout String, _ pattern: String, _ with: String, g: inout Generator) {
        guard let re = try? NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) else { return }
        let matches = re.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty, let r = Range(g.pick(matches).range, in: text) else { return }
        text.replaceSubrange(r, with: with)
    }

    /// The operators, by kind. Values mix valid ones with each way a value can be refused.
    static let kinds = [
        "seq_len", "inputs_length", "targets_length", "prefix_lm_length", "mode_tokens",
        "noise_density", "mean_span", "rate", "weight", "unknown_source", "max_epochs", "total_tokens",
        "budget",
    ]

    static func apply(_ kind: String, to m: inout Mutation, g: inout Generator) {
        switch kind {
        case "seq_len":
            let v = g.pick([2, 3, 16, 100, 512, 1024, 2047, 2048, 4096, 65535, 65536, 70000])
            replace(&m.yaml, "seq_len: \\d+", "seq_len: \(v)", g: &g)
        case "inputs_length":
            let v = g.pick([1, 2, 3, 4, 5, 8, 16, 64, 500, 1024, 1500])
            replace(&m.yaml, "inputs_length: \\d+", "inputs_length: \(v)", g: &g)
        case "targets_length":
            let v = g.pick([1, 2, 3, 8, 64, 300, 512, 1024])
            replace(&m.yaml, "targets_length: \\d+", "targets_length: \(v)", g: &g)
        case "prefix_lm_length":
            let v = g.pick([0, 1, 5, 1000, 1019, 1020, 1021, 5000])
            replace(&m.yaml, "(targets_length: \\d+)$", "$1\n      prefix_lm_length: \(v)", g: &g)
        case "mode_tokens":
            replace(&m.yaml, "mode_tokens: text", "mode_tokens: \(g.pick(["reserved", "text", "other"]))", g: &g)
        case "noise_density":
            let v = g.pick(["0", "0.01", "0.5", "0.99", "1", "1.5", "-0.1"])
            replace(&m.yaml, "noise_density: [0-9.]+", "noise_density: \(v)", g: &g)
        case "mean_span":
            let v = g.pick(["0", "1", "2.5", "500", "5000", "-3"])
            replace(&m.yaml, "mean_span: \\d+", "mean_span: \(v)", g: &g)
        case "rate":
            let v = g.pick(["0", "-1", "0.5", "1000000", "1e-12"])
            replace(&m.yaml, "rate: [0-9.]+", "rate: \(v)", g: &g)
        case "weight":
            let v = g.pick(["0", "-1", "0.0000001", "1000000000000000", "7"])
            replace(&m.yaml, "^(      [a-z_]+): [0-9.]+", "$1: \(v)", g: &g)
        case "unknown_source":
            replace(&m.yaml, "^(    weights:.*)$", "$1\n      nosuch: 1", g: &g)
        case "max_epochs":
            m.maxEpochs = g.pick(["0", "-1", "1", "2", "1000"])
        case "total_tokens":
            m.totalTokens = g.pick(["0", "1", "100", "3000", "20000", "2M"])
        default:
            let v = g.pick(["0", "1", "1.1T", "{fraction: 0.5}", "{fraction: 1.5}", "rest"])
            replace(&m.yaml, "budget: [0-9.]+[KMBT]", "budget: \(v)", g: &g)
        }
    }

    /// `count` seeded mutations of the three presets, one to three operators each.
    static func mutations(count: Int, seed: UInt64) throws -> [Mutation] {
        let presets = try ["openmoe-base", "openmoe-8b", "openmoe-34b"].map {
            try String(contentsOf: repo.appendingPathComponent("mixtures/\($0).yaml"), encoding: .utf8)
        }
        var g = Generator(state: seed)
        return (0..<count).map { i in
            var m = Mutation(kinds: [], yaml: presets[i % presets.count])
            // Every kind comes first once, alone, so each way of refusing is tried.
            let all = BuildRefusalFixtures.kinds
            let chosen = i < all.count ? [all[i]] : (0..<(1 + Int(g.next() % 3))).map { _ in g.pick(all) }
            for k in chosen { apply(k, to: &m, g: &g) }
            m.kinds = chosen
            return m
        }
    }

    /// Every file under `packed/` with its bytes (empty when the folder does not exist).
    static func packedTree(_ output: URL) throws -> [String: Data] {
        let dir = output.appendingPathComponent("packed")
        return FileManager.default.fileExists(atPath: dir.path) ? try TestSupport.tree(dir) : [:]
    }
}

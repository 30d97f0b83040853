import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// A corpus for partitioned-ingest tests: two sources of real prose, with a plain JSONL file large
/// enough to be split at any line (blank lines and a bad line in it), a multi-frame `.jsonl.zst`
/// (split at frame starts), a gzip file (never split) and small files.
struct TaskCorpus {
    let dir: URL

    init(_ label: String) throws {
        dir = try TestSupport.tempDir(label)
        let lines = try TestSupport.realLines(2400)
        func record(_ i: Int, _ text: String) -> String {
            "{\"text\": \(TestSupport.jsonString(text)), \"n\": \(i)}\n"
        }
        let web = dir.appendingPathComponent("web"), code = dir.appendingPathComponent("code")
        for d in [web, code] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        var big = ""
        for (i, l) in lines.enumerated() {
            big += record(i, "\(i % 7) \(l)")
            if i % 311 == 5 { big += "\n" }
            if i == 1500 { big += "{\"text\": broken\n" }
        }
        try big.write(to: web.appendingPathComponent("big.jsonl"), atomically: true, encoding: .utf8)
        var small = ""
        for (i, l) in lines.prefix(40).enumerated() { small += record(i, l) }
        try small.write(to: web.appendingPathComponent("small.jsonl"), atomically: true, encoding: .utf8)
        var frames = Data()
        for f in 0..<6 {
            var text = ""
            for (i, l) in lines.enumerated() where i % 6 == f { text += record(i, "frame \(f): \(l)") }
            frames += try ZstdFramesTests.zstdTool(Data(text.utf8))
        }
        try frames.write(to: code.appendingPathComponent("multi.jsonl.zst"))
        let gz = try TestSupport.run(TestSupport.which("gzip"), ["-c", "-n"], stdin: Data(small.utf8))
        try gz.stdoutData.write(to: code.appendingPathComponent("packed.jsonl.gz"))
        for k in 0..<3 {
            var text = ""
            for (i, l) in lines.enumerated() where i % 40 == k { text += record(i, l) }
            try text.write(to: code.appendingPathComponent("f\(k).jsonl"), atomically: true, encoding: .utf8)
        }
    }

    /// A manifest in its own folder (output `<dir>/<name>/out`).
    func manifest(_ name: String, onError: String = "skip", idField: Bool = false) throws -> String {
        let sub = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let id = idField ? ", id_field: n" : ""
        return try TestSupport.manifest(
            in: sub, onError: onError, shardSize: "32KiB",
            sources: """
                  - {name: web, format: jsonl, paths: ["\(dir.path)/web"], domain: web\(id)}
                  - {name: code, format: jsonl, paths: ["\(dir.path)/code"], domain: code}
                """)
    }

    func output(_ name: String) -> URL { dir.appendingPathComponent(name).appendingPathComponent("out") }

    /// A mixture of two phases of 512-token rows over both sources (UL2 on `ul2Budget` tokens, then
    /// causal LM with `lmWeights`), written to `<dir>/<name>.yaml`; `sources` adds a `sources:` line.
    func mixture(
        _ name: String, total: Int, ul2Budget: Int, seed: Int, lmWeights: String = "{web: 50, code: 50}",
        sources: String? = nil
    ) throws -> String {
        let path = dir.appendingPathComponent(name + ".yaml").path
        try """
        name: \(name)
        total_tokens: \(total)
        seed: \(seed)
        \(sources.map { "sources: " + $0 } ?? "")
        phases:
          - name: ul2
            budget: \(ul2Budget)
            weights: {web: 50, code: 50}
            objective: {type: ul2, inputs_length: 256, targets_length: 256}
            seq_len: 512
          - name: lm
            budget: rest
            weights: \(lmWeights)
            objective: {type: causal}
            seq_len: 512
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every document of every source of an output, in order: id and tokens.
    func documents(_ name: String) throws -> [String: [String]] {
        var all: [String: [String]] = [:]
        for source in ["web", "code"] {
            all[source] = try TestSupport.samples(output(name).appendingPathComponent("tokens/\(source)")).map {
                "\($0["doc_id"]?.string ?? "?") \($0["tokens"]?.uint32s ?? [])"
            }
        }
        return all
    }

    /// Runs task `index` of `count`.
    func task(_ manifest: String, _ index: Int, of count: Int, environment: [String: String] = [:]) throws
        -> ChildProcess.Output
    {
        try TestSupport.moeData(
            ["ingest", manifest, "--task", "\(index)", "--tasks", "\(count)", "--jobs", "1"],
            environment: environment)
    }

    func remove() { TempFolder.remove(dir) }
}

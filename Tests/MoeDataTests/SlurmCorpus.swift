import Foundation
import MoeTestSupport
import Testing

/// Small corpora for the Slurm tests: several sources of real prose and code, one file large enough
/// that the partition splits it, a multi-frame .jsonl.zst (split at frames), and the test tokenizer.
struct SlurmCorpus {
    let dir: URL
    let manifest: String

    /// JSONL lines of real prose, `count` of them from line `offset` on.
    static func lines(_ count: Int, offset: Int = 0, tag: String) throws -> [String] {
        let prose = try TestSupport.realLines(offset + count)
        return prose.dropFirst(offset).enumerated().map { i, text in
            "{\"text\": \(TestSupport.jsonString(text)), \"id\": \"\(tag)-\(i)\"}"
        }
    }

    static func write(_ lines: [String], to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// A .jsonl.zst of several frames: each part compressed on its own by the real zstd, concatenated.
    static func writeFrames(_ parts: [[String]], to url: URL) throws {
        var bytes = Data()
        for (i, part) in parts.enumerated() {
            let plain = url.deletingLastPathComponent().appendingPathComponent("frame\(i).jsonl")
            try write(part, to: plain)
            let r = try TestSupport.run(
                TestSupport.which("zstd"), ["-q", "-f", "-19", plain.path, "-o", plain.path + ".zst"])
            #expect(r.status == 0, "zstd: \(r.stderr)")
            bytes += try Data(contentsOf: URL(fileURLWithPath: plain.path + ".zst"))
            try FileManager.default.removeItem(at: plain)
            try FileManager.default.removeItem(atPath: plain.path + ".zst")
        }
        try bytes.write(to: url)
    }

    /// Three sources: `web` (one large plain .jsonl, split between tasks), `books` (two small files)
    /// and `code` (a .jsonl.zst of four frames). `badLine`: line 5 of books/b.jsonl is not JSON.
    /// `repetitive`: a fourth source, `logs`, one .jsonl.gz (never split) of the same lines over and
    /// over: few bytes on disk, so a small share of the partition, but many tokens, so the task that
    /// holds it commits many more shards than the others.
    static func standard(
        in dir: URL, onError: String = "skip", badLine: Bool = false, repetitive: Bool = false
    ) throws -> SlurmCorpus {
        let data = dir.appendingPathComponent("data")
        try write(try lines(900, tag: "web"), to: data.appendingPathComponent("web/big.jsonl"))
        try write(try lines(120, offset: 900, tag: "ba"), to: data.appendingPathComponent("books/a.jsonl"))
        var b = try lines(120, offset: 1020, tag: "bb")
        if badLine { b[4] = "{\"text\": \"an unterminated string" }
        try write(b, to: data.appendingPathComponent("books/b.jsonl"))
        let code = try lines(400, offset: 1140, tag: "code")
        try writeFrames(
            stride(from: 0, to: 400, by: 100).map { Array(code[$0..<$0 + 100]) },
            to: data.appendingPathComponent("code/lib.jsonl.zst"))
        var sources = """
              - {name: web, format: jsonl, paths: ["\(data.path)/web"], domain: web}
              - {name: books, format: jsonl, paths: ["\(data.path)/books"], domain: books}
              - {name: code, format: jsonl, paths: ["\(data.path)/code"], domain: code}

            """
        if repetitive {
            let logs = data.appendingPathComponent("logs/all.jsonl")
            let few = try lines(12, offset: 1600, tag: "log")
            try write((0..<2400).map { few[$0 % few.count] }, to: logs)
            let r = try TestSupport.run(TestSupport.which("gzip"), ["-9", "-n", "-f", logs.path])
            #expect(r.status == 0, "gzip: \(r.stderr)")
            sources += "  - {name: logs, format: jsonl, paths: [\"\(data.path)/logs\"], domain: web}\n"
        }
        let manifest = try TestSupport.manifest(in: dir, onError: onError, shardSize: "16KiB", sources: sources)
        return SlurmCorpus(dir: dir, manifest: manifest)
    }

    /// A small causal mixture over the three sources.
    func mixture() throws -> String {
        let path = dir.appendingPathComponent("mix.yaml").path
        try """
        name: slurm-test
        total_tokens: 16000
        seed: 7
        phases:
          - name: lm
            budget: rest
            weights: {web: 50, books: 25, code: 25}
            objective: {type: causal}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `moe-data` with the test cluster's environment (and `extra`).
    @discardableResult
    static func moeData(_ args: [String], extra: [String: String] = [:]) throws -> ChildProcess.Output {
        try ChildProcess.moeData(args, environment: try SlurmTestCluster.environment().merging(extra) { $1 })
    }
}

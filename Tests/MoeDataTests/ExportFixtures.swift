import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

/// One small build shared by the export tests (two phases, UL2 then causal LM, token and packed
/// shards small enough to give several of each), and what the tests compare exports against,
/// read with our own MDS reader.
enum ExportFixtures {
    /// The built output folder, made once per test process.
    static let output: Result<URL, ExportFixtureError> = {
        do {
            let dir = try TestSupport.tempDir("export-build")
            let manifest = try manifest(in: dir)
            let mixture = dir.appendingPathComponent("mix.yaml").path
            // Two phases, UL2 then causal LM, the causal one mostly one-line documents.
            let phases = [
                "{name: ul2, budget: 15000, weights: {web: 40, code: 40, lines: 20}, objective: {type: ul2}}",
                "{name: lm, budget: rest, weights: {web: 30, code: 20, lines: 50}, objective: {type: causal}}",
            ]
            let text = "name: exports\ntotal_tokens: 40000\nseed: 3\nphases:\n" + phases.map { "  - \($0)\n" }.joined()
            try text.write(toFile: mixture, atomically: true, encoding: .utf8)
            let r = try TestSupport.moeData(["build", manifest, "--mixture", mixture, "--quiet"])
            guard r.status == 0 else { return .failure(ExportFixtureError("build failed: \(r.stderr)")) }
            return .success(dir.appendingPathComponent("out"))
        } catch {
            return .failure(ExportFixtureError("\(error)"))
        }
    }()

    static func built() throws -> URL { try output.get() }

    static let sources = ["web", "code", "lines"]

    /// `FaultPointTests`' prose and code, small shards, and a source of one-line documents: a causal row then
    /// holds many document ends, so the EOS tokens of a chunk overflow into the next row.
    static func manifest(in dir: URL) throws -> String {
        let manifest = try FaultPointTests.manifest(in: dir)
        let lines = dir.appendingPathComponent("lines.jsonl")
        try TestSupport.realLines(3000).enumerated().map {
            "{\"id\": \"line,\\\"\($0.offset)\", \"text\": " + TestSupport.jsonString($0.element) + "}"
        }.joined(separator: "\n").write(to: lines, atomically: true, encoding: .utf8)
        let source = "\n  - {name: lines, format: jsonl, paths: [\"\(lines.path)\"], domain: web, id_field: id}\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: manifest))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(source.utf8))
        return manifest
    }

    static let eos: UInt32 = 1

    /// Each source's documents (id, tokens) in canonical order, from `tokens/<source>/`.
    static func documents(_ out: URL, source: String) throws -> [(id: String, tokens: [UInt32])] {
        try TestSupport.samples(out.appendingPathComponent("tokens/\(source)")).map { sample in
            (sample["doc_id"]?.string ?? "", sample["tokens"]?.uint32s ?? [])
        }
    }

    /// The packed rows of phase `phase` (0-based), in row order: tokens and the number of padding tokens.
    static func rows(_ out: URL, phase: Int) throws -> [(tokens: [UInt32], padding: Int)] {
        try TestSupport.samples(out.appendingPathComponent("packed")).compactMap { sample in
            guard sample["phase"]?.int == Int64(phase), let tokens = sample["tokens"]?.uint32s,
                let segments = sample["segment_ids"]?.uint16s
            else { return nil }
            return (tokens, segments.filter { $0 == 0 }.count)
        }
    }

    /// The plan the build recorded: target tokens per phase name and source (`stats --json`).
    static func plan(_ out: URL) throws -> [String: [String: Int]] {
        let r = try TestSupport.moeData(["stats", out.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        var plan: [String: [String: Int]] = [:]
        let rows = try JSONValue.parse(Data(r.stdout.utf8))["mixture_realized"]?.arrayValue ?? []
        for row in rows where row["window"] == .null {
            let phase = row["phase_name"]?.stringValue ?? "?", source = row["source"]?.stringValue ?? "?"
            plan[phase, default: [:]][source] = Int(row["target_tokens"]?.intValue ?? -1)
        }
        return plan
    }

    /// Whether the Python modules are missing; if so, records the pip command that installs them.
    static func missing(_ requirements: [Python.Requirement]) throws -> Bool {
        guard let missing = try Python.missing(requirements) else { return false }
        Issue.record(Comment(rawValue: missing))
        return true
    }

    /// Runs a Python script whose last stdout line is JSON, and parses it.
    static func python(_ script: String, _ args: [String]) throws -> JSONValue {
        let r = try Python.run(script, args)
        guard r.status == 0 else { throw ExportFixtureError("python failed: \(r.stderr)") }
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONValue.parse(Data(last.utf8))
    }
}

struct ExportFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import JSON
import Testing

@testable import MoeData

/// `plan` before ingest estimates each source's tokens from the uncompressed size (zstd frame
/// content size, gzip ISIZE, else a decompressed head's ratio) and bytes per token measured with
/// the model; after ingest the exact counts must lie within the stated tolerance.
@Suite(.serialized) struct PlanEstimateTests {
    /// Stated in the README: the estimate is within 10% of the ingested count on real corpora.
    static let tolerance = 0.10

    /// A real JSONL corpus (~5 MB): Python's documentation, one document per file, split in two halves.
    static func corpus(_ dir: URL) throws -> (URL, URL, URL) {
        let root = TestSupport.docsRoot + "/library"
        let names = try FileManager.default.contentsOfDirectory(atPath: root)
            .filter { $0.hasSuffix(".rst.txt") }.sorted()
        var lines: [String] = []
        for n in names {
            let text = try String(contentsOfFile: root + "/" + n, encoding: .utf8)
            lines.append("{\"id\": \(TestSupport.jsonString(n)), \"text\": \(TestSupport.jsonString(text))}")
        }
        let whole = dir.appendingPathComponent("docs.jsonl")
        let a = dir.appendingPathComponent("a.jsonl"), b = dir.appendingPathComponent("b.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: whole, atomically: true, encoding: .utf8)
        try (lines[..<(lines.count / 2)].joined(separator: "\n") + "\n").write(to: a, atomically: true, encoding: .utf8)
        try (lines[(lines.count / 2)...].joined(separator: "\n") + "\n").write(to: b, atomically: true, encoding: .utf8)
        return (whole, a, b)
    }

    static func shell(_ script: String, in dir: URL) throws {
        let r = try TestSupport.run("/bin/sh", ["-c", script], cwd: dir)
        #expect(r.status == 0, "\(script): \(r.stderr)")
    }

    @Test func estimateBeforeIngestIsWithinToleranceForZstdAndGzip() throws {
        let dir = try TestSupport.tempDir("estimate")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try PlanEstimateTests.corpus(dir)
        let zstd = TestSupport.which("zstd"), gzip = TestSupport.which("gzip")
        // One zstd frame with its content size; two frames; one gzip member; two members.
        try PlanEstimateTests.shell(
            """
            mkdir -p z zm g gm && \(zstd) -q -3 docs.jsonl -o z/docs.jsonl.zst && \
            \(zstd) -q -c a.jsonl > zm/docs.jsonl.zst && \(zstd) -q -c b.jsonl >> zm/docs.jsonl.zst && \
            \(gzip) -c docs.jsonl > g/docs.jsonl.gz && \(gzip) -c a.jsonl > gm/docs.jsonl.gz && \
            \(gzip) -c b.jsonl >> gm/docs.jsonl.gz
            """, in: dir)
        let names = ["z", "zm", "g", "gm"]
        let sources = names.map { "  - {name: \($0), format: jsonl, paths: [\(dir.path)/\($0)], domain: web}" }
        let manifest = try TestSupport.manifest(in: dir, sources: sources.joined(separator: "\n"))
        let mixture = dir.appendingPathComponent("mix.yaml")
        try """
        name: even
        total_tokens: 1000
        phases:
          - {name: only, budget: 1000, weights: {z: 1, zm: 1, g: 1, gm: 1}, objective: {type: causal}}
        """.write(to: mixture, atomically: true, encoding: .utf8)
        let plan = try TestSupport.moeData(["plan", manifest, "--mixture", mixture.path])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("measured on ~1 MiB with the model"), "\(plan.stdout)")
        var estimated: [String: Int] = [:]
        for line in plan.stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let name = words.first.map(String.init), names.contains(name),
                let tilde = words.first(where: { $0.hasPrefix("~") })
            else { continue }
            estimated[name] = Int(tilde.dropFirst().replacingOccurrences(of: ",", with: ""))
        }
        #expect(estimated.count == 4, "\(plan.stdout)")
        let ingest = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let statsRun = try TestSupport.moeData(["stats", dir.appendingPathComponent("out").path, "--json"])
        let stats = try JSONValue.parse(Data(statsRun.stdout.utf8))
        for s in stats["sources"]?.arrayValue ?? [] {
            let name = s["name"]?.stringValue ?? "", exact = Int(s["tokens"]?.intValue ?? 0)
            let guess = try #require(estimated[name])
            let error = abs(Double(guess - exact)) / Double(exact)
            #expect(
                error <= PlanEstimateTests.tolerance,
                "\(name): estimated \(guess), ingested \(exact) (\(error * 100)% off)")
            print("estimate \(name): \(guess) vs \(exact) tokens, \(String(format: "%.2f", error * 100))% off")
        }
        // After ingest, plan shows exact counts without the mark.
        let after = try TestSupport.moeData(["plan", manifest, "--mixture", mixture.path])
        #expect(after.status == 0 && !after.stdout.contains("~"), "\(after.stdout)")
    }

    @Test func uncompressedSizesComeFromTheFramesOrTheHead() throws {
        let dir = try TestSupport.tempDir("usize")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (whole, _, _) = try PlanEstimateTests.corpus(dir)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: whole.path)[.size] as? Int)
        let zstd = TestSupport.which("zstd")
        try PlanEstimateTests.shell(
            """
            \(zstd) -q docs.jsonl -o one.zst && \(TestSupport.which("gzip")) -c docs.jsonl > one.gz && \
            \(zstd) -q -c a.jsonl > two.zst && \(zstd) -q -c b.jsonl >> two.zst
            """, in: dir)
        func estimate(_ name: String) throws -> Int {
            let p = dir.appendingPathComponent(name).path
            let s = try #require(try FileManager.default.attributesOfItem(atPath: p)[.size] as? Int)
            return SourceSizeEstimate.uncompressedSize(path: p, size: s)
        }
        #expect(try estimate("one.zst") == size, "a single zstd frame records its content size")
        #expect(try estimate("one.gz") == size, "a single gzip member's ISIZE")
        let two = try estimate("two.zst")
        #expect(abs(Double(two - size)) / Double(size) < 0.25, "two frames: the head's ratio, \(two) vs \(size)")
    }
}

import Foundation
import Testing

@testable import MoeData

/// Presets shipped in the binary, the out-of-tokens advice, and `plan`'s estimate before ingest.
@Suite struct PresetAndPlanTests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func embeddedPresetsEqualTheFilesInMixtures() throws {
        let dir = PresetAndPlanTests.repo.appendingPathComponent("mixtures")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files.map { String($0.dropLast(5)) }) == Set(MixturePresets.names))
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            #expect(
                MixturePresets.text(String(f.dropLast(5))) == text,
                "\(f) differs from the embedded preset; rebuild")
        }
    }

    /// A temp folder holding a manifest over a few real text files, with no mixtures/ next to it.
    static func smallManifest(_ dir: URL) throws -> String {
        let files = try TestSupport.realTextFiles(6)
        let sources = [
            "common_crawl", "c4", "wikipedia", "book", "arxiv", "stackexchange", "the_stack", "github",
            "wikipedia_en",
        ].enumerated().map { i, name in
            let domain = name == "github" || name == "the_stack" ? "code" : "web"
            return "  - {name: \(name), format: text, paths: [\(files[i % files.count])], domain: \(domain)}"
        }
        return try TestSupport.manifest(in: dir, sources: sources.joined(separator: "\n"))
    }

    @Test func presetsWorkFromAnyFolderAndAnUnknownOneListsThem() throws {
        let dir = try TestSupport.tempDir("preset")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try PresetAndPlanTests.smallManifest(dir)
        let r = try TestSupport.run(
            TestSupport.binary.path,
            ["plan", manifest, "--mixture", "openmoe-8b", "--total-tokens", "2K"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Mixture openmoe-8b (mixtures/openmoe-8b.yaml)"), "\(r.stdout.prefix(300))")
        let bad = try TestSupport.run(TestSupport.binary.path, ["plan", manifest, "--mixture", "openmoe-9b"], cwd: dir)
        #expect(bad.status == 1)
        #expect(
            bad.stderr.contains("'openmoe-9b'")
                && bad.stderr.contains("presets: openmoe-34b, openmoe-8b, openmoe-base"),
            "\(bad.stderr)")
    }

    @Test func outOfTokensSuggestsTheLargestTotalThatFitsFirst() throws {
        let dir = try TestSupport.tempDir("advice")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try PresetAndPlanTests.smallManifest(dir)
        let r = try TestSupport.moeData(["plan", manifest, "--mixture", "openmoe-8b", "--total-tokens", "1B"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let first = "error: the mixture needs more tokens than the sources hold: "
        #expect(lines.first?.hasPrefix(first) == true, "\(r.stderr)")
        let use = try #require(lines.firstIndex { $0.hasPrefix("Use --total-tokens ") }, "\(r.stderr)")
        let epochs = try #require(lines.firstIndex { $0.hasPrefix("Or repeat sources") && $0.contains("max_epochs") })
        #expect(use < epochs, "max_epochs must come after --total-tokens: \(r.stderr)")
        // Not one "set sources.<name>.max_epochs: N" line per source, as before.
        let perSource = "set sources\\.[a-z_]+\\.max_epochs: [0-9]"
        #expect(r.stderr.range(of: perSource, options: .regularExpression) == nil, "\(r.stderr)")
        #expect(lines.count <= 4, "\(r.stderr)")
        let n = try #require(Int(lines[use].dropFirst("Use --total-tokens ".count).prefix { $0.isNumber }))
        func plan(_ total: Int) throws -> TestSupport.Output {
            try TestSupport.moeData([
                "plan", manifest, "--mixture", "openmoe-8b", "--total-tokens", "\(total)",
                "--max-epochs", "1",
            ])
        }
        let fits = try plan(n)
        #expect(fits.status == 0, "N = \(n) must plan: \(fits.stderr)")
        let over = try plan(n + 1)
        #expect(
            over.status == 1 && over.stderr.contains("Use --total-tokens \(n) "),
            "N + 1 must not plan: \(over.stderr)")
    }
}

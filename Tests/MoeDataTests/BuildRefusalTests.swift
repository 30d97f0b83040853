import Foundation
import Testing

@testable import MoeData

/// `plan` and `build` refuse the same mixtures, before anything is written: a refused build leaves a
/// complete `packed/` exactly as it was (issue 25.1).
@Suite(.serialized) struct BuildRefusalTests {
    /// One manifest over the tiny corpus, ingested and built once with an unmutated preset.
    static func prepared(_ label: String) throws -> (dir: URL, manifest: String, output: URL) {
        let dir = try TestSupport.tempDir(label)
        let manifest = try BuildRefusalFixtures.manifest(in: dir)
        let preset = BuildRefusalFixtures.repo.appendingPathComponent("mixtures/openmoe-8b.yaml").path
        let first = try TestSupport.moeData([
            "build", manifest, "--mixture", preset, "--total-tokens", "12000",
            "--max-epochs", "100", "--quiet", "--jobs", "1",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        return (dir, manifest, dir.appendingPathComponent("out"))
    }

    @Test func valuesOnlyTheBuildUsedToRejectAreRefusedByPlanAndLeavePackedAlone() throws {
        let (dir, manifest, output) = try Self.prepared("refuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try BuildRefusalFixtures.packedTree(output)
        #expect(!before.isEmpty)
        let presetFile = BuildRefusalFixtures.repo.appendingPathComponent("mixtures/openmoe-8b.yaml")
        let preset = try String(contentsOf: presetFile, encoding: .utf8)
        // The issue's two cases: a row length past uint16, and inputs too short for the mode prefix.
        let cases = [
            (
                "seq_len", "phases[1].seq_len",
                preset.replacingOccurrences(
                    of: "objective: {type: causal}\n    seq_len: 2048",
                    with: "objective: {type: causal}\n    seq_len: 70000")
            ),
            (
                "inputs_length", "phases[0].objective",
                preset.replacingOccurrences(of: "inputs_length: 1024", with: "inputs_length: 1")
            ),
        ]
        for (label, key, yaml) in cases {
            let path = dir.appendingPathComponent("\(label).yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let args = ["--mixture", path, "--total-tokens", "12000", "--max-epochs", "100"]
            let plan = try TestSupport.moeData(["plan", manifest] + args)
            #expect(plan.status != 0, "plan must refuse \(label): \(plan.stdout)")
            #expect(plan.stderr.contains(path) && plan.stderr.contains(key), "\(plan.stderr)")
            let build = try TestSupport.moeData(["build", manifest, "--quiet"] + args)
            #expect(build.status != 0 && build.stderr.contains(path) && build.stderr.contains(key), "\(build.stderr)")
            #expect(try BuildRefusalFixtures.packedTree(output) == before, "a refused build (\(label)) changed packed/")
        }
    }

    /// A few hundred seeded mutations in process (library calls `plan` and `build` make), then a
    /// spread sample through the real binary.
    @Test func buildFailsOnlyWherePlanFailsAndNeverHarmsACompleteOutput() throws {
        let (dir, manifest, output) = try Self.prepared("property")
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try Manifest.load(path: manifest)
        let tokenizer = try Tokenizer(modelPath: m.tokenizer.model, sentinels: m.tokenizer.sentinels)
        let catalog = try Catalog(outputDirectory: m.output)
        var available: [String: Int] = [:]
        for s in m.sources { available[s.name] = try catalog.sourceState(s.name)?.cursor?.totals.tokens ?? 0 }
        let domains = Dictionary(uniqueKeysWithValues: m.sources.map { ($0.name, $0.domain) })
        let known = Set(m.sources.map(\.name))
        let mutations = try BuildRefusalFixtures.mutations(count: 260, seed: 25)
        var refusedKinds: [String: Int] = [:]
        var built = 0
        for (i, mutation) in mutations.enumerated() {
            let path = dir.appendingPathComponent("m\(i).yaml").path
            try mutation.yaml.write(toFile: path, atomically: true, encoding: .utf8)
            // What `plan` runs: load, scale, override, validate, plan.
            func load() throws -> Mixture {
                var mix = try MixtureParser.load(path: path)
                guard let total = TokenCount.parse(mutation.totalTokens), total > 0 else { throw MoeDataError("total") }
                mix = try mix.scaled(toTotal: total)
                let epochs = Int(mutation.maxEpochs) ?? 0
                let all = Dictionary(uniqueKeysWithValues: mix.mentionedSources.map { ($0, epochs) })
                return mix.overridingMaxEpochs(all)
            }
            var planError: String?
            do {
                let mix = try load()
                try mix.validateForBuild(knownSources: known, tokenizer: tokenizer)
                try MixturePlan(mixture: mix, available: available, domains: domains).check()
            } catch { planError = "\(error)" }
            guard let mix = try? load() else {
                #expect(planError != nil)
                continue
            }
            let before = try BuildRefusalFixtures.packedTree(output)
            var options = Build.Options()
            options.ingest.jobs = 1
            options.ingest.quiet = true
            var buildError: String?
            do {
                _ = try Build(manifest: m, mixture: mix, options: options)
                    .run(catalog: catalog, tokenizer: tokenizer, progress: ProgressLine(quiet: true))
                built += 1
            } catch { buildError = "\(error)" }
            #expect(
                (planError == nil) == (buildError == nil),
                "mutation \(i) \(mutation.kinds): plan \(planError ?? "accepts"), build \(buildError ?? "accepts")")
            if buildError != nil {
                refusedKinds[mutation.kinds.joined(separator: "+"), default: 0] += 1
                #expect(
                    try BuildRefusalFixtures.packedTree(output) == before,
                    "mutation \(i) \(mutation.kinds) changed packed/")
            }
        }
        #expect(built > 20 && refusedKinds.count > 10, "built \(built), refused \(refusedKinds)")
        let byKind = refusedKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("in process: \(mutations.count) mutations, \(built) built, refused by kind: \(byKind)")

        // Through the binary: every kind once (the first mutations) and a spread of the rest.
        let sample = Array(0..<BuildRefusalFixtures.kinds.count) + stride(from: 40, to: mutations.count, by: 15)
        var binaryRefusals = 0
        for i in sample {
            let mutation = mutations[i]
            let path = dir.appendingPathComponent("m\(i).yaml").path
            let args = ["--mixture", path] + mutation.arguments
            let plan = try TestSupport.moeData(["plan", manifest] + args)
            let before = try BuildRefusalFixtures.packedTree(output)
            let build = try TestSupport.moeData(["build", manifest, "--quiet", "--jobs", "1"] + args)
            let verdicts = "plan \(plan.status) \(plan.stderr), build \(build.status) \(build.stderr)"
            #expect((plan.status == 0) == (build.status == 0), "binary, mutation \(i) \(mutation.kinds): \(verdicts)")
            #expect(build.status == 0 || build.status == 1 || build.status == 64, "\(build.status) \(build.stderr)")
            if build.status != 0 {
                binaryRefusals += 1
                #expect(build.stderr.contains(path) || build.stderr.contains("--"), "unclear refusal: \(build.stderr)")
                #expect(try BuildRefusalFixtures.packedTree(output) == before, "binary, mutation \(i) changed packed/")
            }
        }
        #expect(sample.count >= 25 && binaryRefusals >= BuildRefusalFixtures.kinds.count / 2)
        print("binary: \(sample.count) mutations, \(binaryRefusals) refused")
    }
}

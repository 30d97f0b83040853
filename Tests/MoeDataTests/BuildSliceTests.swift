import Foundation
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// Issue 18's exact slices: K processes each build a slice of the rows (`build --slices K
/// --slice I`), and `build` merges them into rows identical, row by row, to a one-process build.
@Suite(.serialized) struct BuildSliceTests {
    /// An ingested TaskCorpus (in `base/out`) and a mixture of two phases (UL2 then causal LM) that
    /// needs 1.3 epochs of the `code` source, so its first epoch ends inside some slice.
    struct Fixture {
        let corpus: TaskCorpus
        let mixture: String
        let codeTokens: Int

        init(_ label: String) throws {
            corpus = try TaskCorpus(label)
            let base = try corpus.manifest("base")
            let ingest = try TestSupport.moeData(["ingest", base, "--quiet"])
            #expect(ingest.status == 0, "\(ingest.stderr)")
            let catalog = try Catalog(path: corpus.output("base").appendingPathComponent(Catalog.fileName).path)
            codeTokens = try catalog.sourceState("code")?.cursor?.totals.tokens ?? 0
            let total = codeTokens * 26 / 10
            mixture = try corpus.mixture(
                "slices", total: total, ul2Budget: total * 6 / 10, seed: 11,
                sources: "{code: {max_epochs: 2}, web: {max_epochs: 2}}")
        }

        /// Builds `name` (a copy of the ingest) in one process and returns its rows, and its output.
        func oneProcessRows(_ name: String = "one") throws -> (rows: [[String: MDSValue]], output: URL) {
            let one = try copy(name)
            let r = try TestSupport.moeData(["build", one.manifest, "--mixture", mixture, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            return (try TestSupport.samples(one.output.appendingPathComponent("packed")), one.output)
        }

        /// A manifest `name` whose output starts as a copy of the ingested one.
        func copy(_ name: String) throws -> (manifest: String, output: URL) {
            let manifest = try corpus.manifest(name)
            try FileManager.default.copyItem(at: corpus.output("base"), to: corpus.output(name))
            return (manifest, corpus.output(name))
        }

        func slice(_ manifest: String, _ index: Int, of count: Int, environment: [String: String] = [:]) throws
            -> ChildProcess.Output
        {
            try TestSupport.moeData(
                ["build", manifest, "--mixture", mixture, "--slices", "\(count)", "--slice", "\(index)"],
                environment: environment)
        }
    }

    /// The build's counters per phase, as the catalog records them (JSON whose key order varies).
    static func summary(_ output: URL) throws -> [PhaseCounters] {
        let text = try Catalog(path: output.appendingPathComponent(Catalog.fileName).path).value("build.summary")
        return try JSONDecoder().decode([PhaseCounters].self, from: Data((text ?? "").utf8))
    }

    @Test func slicesMergeIntoTheRowsOfOneProcess() throws {
        let fixture = try Fixture("build-slices")
        defer { fixture.corpus.remove() }
        let (rows, oneOutput) = try fixture.oneProcessRows()
        let shards = try MDSIndex.read(from: oneOutput.appendingPathComponent("packed")).shards
        #expect(rows.count > 40 && shards.count > 7, "\(rows.count) rows in \(shards.count) shards")
        for k in [1, 2, 3, 7] {
            let sliced = try fixture.copy("k\(k)")
            // In reverse order: a slice needs no other slice.
            for i in (0..<k).reversed() {
                let r = try fixture.slice(sliced.manifest, i, of: k)
                #expect(r.status == 0, "K=\(k) slice \(i): \(r.stderr)")
            }
            let merge = try TestSupport.moeData(["build", sliced.manifest, "--mixture", fixture.mixture, "--quiet"])
            #expect(merge.status == 0, "K=\(k) merge: \(merge.stderr)")
            let packed = sliced.output.appendingPathComponent("packed")
            let merged = try TestSupport.samples(packed)
            #expect(merged.count == rows.count, "K=\(k): \(merged.count) rows, one process \(rows.count)")
            let first = merged.indices.first { $0 < rows.count && merged[$0] != rows[$0] }
            #expect(first == nil, "K=\(k): row \(first ?? -1) differs")
            #expect(try Self.summary(sliced.output) == (try Self.summary(oneOutput)), "K=\(k): build summary")
            let names = try MDSIndex.read(from: packed).shards.map { $0.zipBasename ?? $0.rawBasename }
            #expect(Set(names.map { $0.prefix(11) }).count == k, "K=\(k): shards of every slice: \(names)")
            #expect(!FileManager.default.fileExists(atPath: sliced.output.appendingPathComponent("slices").path))
            let again = try TestSupport.moeData(["build", sliced.manifest, "--mixture", fixture.mixture])
            #expect(again.stdout.contains("(up to date)"), "K=\(k): \(again.stdout)")
        }
    }

    /// The simulation (document lengths from the catalog, zeros for tokens) and the build agree on
    /// the state of every step at every row: the mixer's cursors and counts, the example index,
    /// the accounting, the counters, and the length of every example in the open row.
    @Test func theSimulationAgreesWithTheBuildAtEveryRow() throws {
        let fixture = try Fixture("slice-simulation")
        defer { fixture.corpus.remove() }
        let output = fixture.corpus.output("base")
        let manifest = try Manifest.load(path: try fixture.corpus.manifest("base"))
        let mixture = try MixtureParser.load(path: fixture.mixture)
        let tokenizer = try Tokenizer(modelPath: manifest.tokenizer.model, sentinels: manifest.tokenizer.sentinels)
        let objectives = try mixture.validateForBuild(
            knownSources: Set(manifest.sources.map(\.name)), tokenizer: tokenizer, seed: mixture.seed
        ).map(\.objective)
        let catalog = try Catalog(path: output.appendingPathComponent(Catalog.fileName).path, readOnly: true)
        var lengths: [String: [[UInt32]?]] = [:]
        for source in ["web", "code"] {
            lengths[source] = try catalog.documentLengths(source: source)
            #expect(lengths[source]?.allSatisfy { $0 != nil } == true, "the catalog holds every shard's lengths")
        }
        var recorder = RowStateRecorder()
        var steps = try BuildSteps(
            mixture: mixture, objectives: objectives, tokensDirectory: output.appendingPathComponent("tokens"),
            seed: mixture.seed, resumingFrom: nil)
        try steps.run(writingTo: &recorder)
        var counted = try CountedBuildSteps(
            mixture: mixture, objectives: objectives, tokensDirectory: output.appendingPathComponent("tokens"),
            seed: mixture.seed, documentLengths: lengths)
        var simulated: [RowState] = []
        #expect(
            try counted.run { row in
                simulated.append(
                    try RowState(
                        from: row.from, phase: row.phase, openLengths: row.openLengths,
                        countersBefore: row.countersBefore))
                return true
            })
        #expect(counted.counters == steps.counters, "the counters at the end")
        let real = recorder.states
        #expect(real.count > 40)
        #expect(simulated.count == real.count)
        let first = real.indices.first { $0 < simulated.count && real[$0] != simulated[$0] }
        #expect(
            first == nil,
            "row \(first ?? -1): build \(first.map { real[$0] }), simulation \(first.map { simulated[$0] })")
        // The fixture's promise: code's first epoch ends between two rows of one slice of 7.
        let slicing = try BuildSlicing(count: 7, schedule: try MixSchedule(mixture))
        let epochs = real.map { $0.mixer.sources.first { $0.name == "code" }?.cursor.epoch ?? -1 }
        let turn = try #require(epochs.firstIndex(of: 1), "code never starts a second epoch")
        let slice = { (row: Int) in (0..<7).last { slicing.start(ofSlice: $0) <= slicing.position(real[row].mixer) } }
        #expect(turn > 0 && slice(turn) == slice(turn - 1), "code's epoch ends at a slice boundary")
    }

    @Test func aKilledSliceResumesToTheSameRows() throws {
        let fixture = try Fixture("slice-kill")
        defer { fixture.corpus.remove() }
        let rows = try fixture.oneProcessRows().rows
        let sliced = try fixture.copy("killed")
        for i in 0..<3 {
            // Killed after its second committed shard, then run again.
            let killed = try fixture.slice(
                sliced.manifest, i, of: 3, environment: ["MOE_DATA_FAULT": "build.shard.committed:2"])
            #expect(killed.status != 0 && killed.stderr.contains("fault point"), "slice \(i): \(killed.stderr)")
            let resumed = try fixture.slice(sliced.manifest, i, of: 3)
            #expect(resumed.status == 0, "slice \(i): \(resumed.stderr)")
            #expect(resumed.stdout.contains("resumed an interrupted slice after"), "slice \(i): \(resumed.stdout)")
        }
        let merge = try TestSupport.moeData(["build", sliced.manifest, "--mixture", fixture.mixture, "--quiet"])
        #expect(merge.status == 0, "\(merge.stderr)")
        let merged = try TestSupport.samples(sliced.output.appendingPathComponent("packed"))
        #expect(merged == rows, "\(merged.count) rows after the resumed slices, \(rows.count) from one process")
    }

    /// A catalog from before the lengths were kept: the slices read the token shards instead.
    @Test func slicesOfACatalogWithoutDocumentLengthsReadTheShards() throws {
        let fixture = try Fixture("slice-no-lengths")
        defer { fixture.corpus.remove() }
        let rows = try fixture.oneProcessRows().rows
        let old = try fixture.copy("old")
        let catalog = try Catalog(path: old.output.appendingPathComponent(Catalog.fileName).path)
        try catalog.db.run("UPDATE shards SET document_lengths = NULL")
        #expect(try catalog.documentLengths(source: "code").allSatisfy { $0 == nil })
        for i in 0..<2 { #expect(try fixture.slice(old.manifest, i, of: 2).status == 0) }
        #expect(try TestSupport.moeData(["build", old.manifest, "--mixture", fixture.mixture, "--quiet"]).status == 0)
        #expect(try TestSupport.samples(old.output.appendingPathComponent("packed")) == rows)
    }

    @Test func aMergeRefusesMissingOrStaleSlices() throws {
        let fixture = try Fixture("slice-refusals")
        defer { fixture.corpus.remove() }
        let sliced = try fixture.copy("partial")
        #expect(try fixture.slice(sliced.manifest, 0, of: 3).status == 0)
        #expect(try fixture.slice(sliced.manifest, 2, of: 3).status == 0)
        let merge = try TestSupport.moeData(["build", sliced.manifest, "--mixture", fixture.mixture])
        #expect(merge.status != 0)
        #expect(merge.stderr.contains("slice 1 of 3 has not run"), "\(merge.stderr)")
        let other = try TestSupport.moeData(
            ["build", sliced.manifest, "--mixture", fixture.mixture, "--seed", "3", "--slices", "3", "--slice", "1"])
        #expect(other.status == 0, "\(other.stderr)")
        let stale = try TestSupport.moeData(["build", sliced.manifest, "--mixture", fixture.mixture])
        #expect(stale.status != 0)
        #expect(stale.stderr.contains("slice 1 was built for other settings"), "\(stale.stderr)")
        // --restart builds the slice again, and never the ingest it reads.
        let restarted = try TestSupport.moeData(
            ["build", sliced.manifest, "--mixture", fixture.mixture, "--slices", "3", "--slice", "0", "--restart"])
        #expect(restarted.status == 0 && restarted.stdout.contains("slice 0 of 3:"), "\(restarted.stderr)")
        // A slice killed as slice 1 of 2 is not resumed as slice 1 of 3 (the signature is the same).
        let killed = try fixture.slice(
            sliced.manifest, 1, of: 2, environment: ["MOE_DATA_FAULT": "build.shard.committed:2"])
        #expect(killed.status != 0 && killed.stderr.contains("fault point"), "\(killed.stderr)")
        let other3 = try fixture.slice(sliced.manifest, 1, of: 3)
        #expect(other3.status == 0 && !other3.stdout.contains("resumed"), "\(other3.stdout) \(other3.stderr)")
        let bad = try fixture.slice(sliced.manifest, 3, of: 3)
        #expect(bad.status != 0 && bad.stderr.contains("is not a slice of --slices 3"), "\(bad.stderr)")
    }
}

/// What a row's regenerating state holds, from a real build or a simulation.
struct RowState: Equatable, CustomStringConvertible {
    var mixer: MixerState
    var exampleIndex: UInt64
    var accounting: String
    var counters: String
    var openExampleLengths: [Int]
    var phase: Int

    var description: String { "phase \(phase), example \(exampleIndex), open \(openExampleLengths), \(mixer)" }
}

extension RowState {
    init(from: ResumePoint, phase: Int, openLengths: [Int], countersBefore: [RowCounters]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let counters = zip(from.objectiveCounters, countersBefore).map(PhaseCounters.init)
        self.init(
            mixer: from.mixer, exampleIndex: from.exampleIndex,
            accounting: String(decoding: try encoder.encode(from.accounting), as: UTF8.self),
            counters: String(decoding: try encoder.encode(counters), as: UTF8.self),
            openExampleLengths: openLengths, phase: phase)
    }
}

/// Records every row's state and takes every row.
struct RowStateRecorder: RowSink {
    var states: [RowState] = []

    mutating func take(_ closed: PackStep.ClosedRow, from: ResumePoint) throws -> Bool {
        states.append(
            try RowState(
                from: from, phase: closed.phase, openLengths: closed.packerState.examples.map(\.tokens.count),
                countersBefore: closed.countersBefore))
        return true
    }
}

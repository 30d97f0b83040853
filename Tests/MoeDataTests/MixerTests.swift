import Foundation
import PackedFormat
import Testing

@testable import MoeData

@Suite struct MixerTests {
    /// What UL2 asks per example varies with the denoiser (1137..2014 raw tokens); causal LM asks
    /// a full row minus EOS. Deterministic per chunk index, like the objective stage's choice.
    static func request(phase: Int, index: Int) -> Int {
        guard phase == 0 else { return 2047 }
        var rng = KeyedRandom(seed: 3, UInt64(index))
        return [1137, 1178, 1534, 1818, 2014, 1023][Int(rng.next() % 6)]
    }

    static func run(_ mixer: inout Mixer, from start: Int = 0, limit: Int = .max) throws -> [MixedChunk] {
        var out: [MixedChunk] = []
        var i = start
        while out.count < limit, let c = try mixer.next(maxTokens: request(phase: mixer.phase, index: i)) {
            out.append(c)
            i += 1
        }
        return out
    }

    /// Fixture with every OpenMoE source, each holding what the 8B schedule scaled to 1.1M needs plus `margin`.
    static func openMoEFixture(total: Int = 1_100_000, margin: Double = 0.05) throws -> (MixFixture, Mixture) {
        let mixture = try MixtureParser.load(path: presetPath("openmoe-8b")).scaled(toTotal: total)
        let schedule = try MixSchedule(mixture)
        let fixture = try MixFixture()
        for (s, source) in schedule.sources.enumerated() {
            let need = schedule.cumulativeTarget(source: s, throughPhase: schedule.phaseCount - 1)
            // Some documents are longer than any chunk, so splitting is exercised.
            try fixture.addSource(
                source, tokens: need + Int(Double(need) * margin) + 1, docLengths: 5...4500, shardBytes: 24_000)
        }
        return (fixture, mixture)
    }

    @Test func openMoE8BInMiniatureHitsTheCodeSharesAndStaysExactAtEveryPrefix() throws {
        let (fixture, mixture) = try Self.openMoEFixture()
        var mixer = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory)
        let schedule = mixer.schedule
        var consumed = [String: Int]()
        var phaseTokens = [0, 0]
        var bySourcePhase = [[String: Int]](repeating: [:], count: 2)
        var lastPhase = 0
        var worst = 0.0
        var largestChunk = 0
        var index = 0
        while let chunk = try mixer.next(maxTokens: Self.request(phase: mixer.phase, index: index)) {
            let asked = Self.request(phase: chunk.phase, index: index)
            index += 1
            largestChunk = max(largestChunk, asked)
            #expect(chunk.tokens.count <= asked && !chunk.tokens.isEmpty)
            #expect(chunk.phase >= lastPhase)
            if chunk.phase != lastPhase {
                // The switch happens exactly at the phase budget, with nothing straddling it.
                #expect(phaseTokens[0] == 780_000)
                lastPhase = chunk.phase
            }
            consumed[chunk.source, default: 0] += chunk.tokens.count
            phaseTokens[chunk.phase] += chunk.tokens.count
            bySourcePhase[chunk.phase][chunk.source, default: 0] += chunk.tokens.count
            // Cumulative targets over phases: earlier phases in full, the current one in proportion.
            let t = phaseTokens[chunk.phase]
            for (s, source) in schedule.sources.enumerated() {
                let before = (0..<chunk.phase).reduce(0) { $0 + schedule.targets[$1][s] }
                let target =
                    Double(before) + Double(t) * Double(schedule.targets[chunk.phase][s])
                    / Double(schedule.budgets[chunk.phase])
                let gap = abs(Double(consumed[source, default: 0]) - target)
                // "Within one chunk": the largest chunk asked for so far.
                worst = max(worst, gap / Double(largestChunk))
            }
        }
        #expect(phaseTokens == [780_000, 320_000])
        #expect(worst <= 1.0, "a source strayed \(worst) chunks from its target")
        // Shares computed from the chunks themselves.
        for (p, expected) in [(0, 0.5225), (1, 0.15)] {
            let code = (bySourcePhase[p]["the_stack"] ?? 0) + (bySourcePhase[p]["github"] ?? 0)
            let share = Double(code) / Double(phaseTokens[p])
            #expect(abs(share - expected) * 100 <= 0.01, "phase \(p) code share \(share)")
            for (s, source) in schedule.sources.enumerated() {
                #expect(bySourcePhase[p][source, default: 0] == schedule.targets[p][s])
            }
        }
        #expect(bySourcePhase[0]["wikipedia_en"] == nil)
        #expect(try mixer.next(maxTokens: 100) == nil)
    }

    /// Many sources with uneven weights (down to 0.1%) over three phases: every prefix within one
    /// chunk of the cumulative target, every phase end exact.
    @Test(arguments: [1, 2, 3])
    func manySourcesWithUnevenWeightsStayWithinOneChunk(seed: UInt64) throws {
        var rng = KeyedRandom(seed: seed)
        let fixture = try MixFixture()
        let sources = (0..<12).map { "s\($0)" }
        var phasesYAML = ""
        for p in 0..<3 {
            let weights = sources.map { s in "\(s): \(rng.next() % 4 == 0 ? "0.1" : String(rng.next() % 400))" }
            phasesYAML +=
                "  - {name: p\(p), budget: \(20_000 + Int(rng.next() % 20_000)), weights: "
                    + "{\(weights.joined(separator: ", "))}, objective: {type: causal}}\n"
        }
        for s in sources { try fixture.addSource(s, tokens: 60_000, docLengths: 1...600, shardBytes: 8_000) }
        let mixture = try MixtureParser.parse(yaml: "name: r\nphases:\n" + phasesYAML, file: "r.yaml")
        var mixer = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory, seed: seed, windowDocs: 10)
        let schedule = mixer.schedule
        var consumed = Array(repeating: 0, count: schedule.sources.count)
        var inPhase = 0
        var phase = 0
        var worst = 0.0
        while let chunk = try mixer.next(maxTokens: 300) {
            if chunk.phase != phase {
                let before = (0..<chunk.phase).map { p in
                    schedule.sources.indices.map { schedule.cumulativeTarget(source: $0, throughPhase: p) }
                }
                #expect(consumed == before.last, "phase \(phase) did not end on its targets")
                phase = chunk.phase
                inPhase = 0
            }
            let s = try #require(schedule.sources.firstIndex(of: chunk.source))
            consumed[s] += chunk.tokens.count
            inPhase += chunk.tokens.count
            for i in schedule.sources.indices {
                let before = phase == 0 ? 0 : schedule.cumulativeTarget(source: i, throughPhase: phase - 1)
                let target =
                    Double(before) + Double(inPhase) * Double(schedule.targets[phase][i])
                    / Double(schedule.budgets[phase])
                worst = max(worst, abs(Double(consumed[i]) - target))
            }
        }
        #expect(worst <= 300, "a source was \(worst) tokens off its target (chunks are 300)")
        #expect(consumed == schedule.sources.indices.map { schedule.cumulativeTarget(source: $0, throughPhase: 2) })
    }

    @Test func chunksCarryTheRightTokensAndSplitDocumentsNeverDropThem() throws {
        // Source `exact` holds exactly what the schedule needs, so every one of its tokens must appear once.
        let fixture = try MixFixture()
        try fixture.addSource("exact", tokens: 30_000 + 10_000, docLengths: 1...3000)
        try fixture.addSource("plenty", tokens: 200_000, docLengths: 1...3000)
        let path = try fixture.writeMixture(
            """
            name: t
            phases:
              - {name: one, budget: 100000, weights: {exact: 30, plenty: 70}, objective: {type: ul2}}
              - {name: two, budget: 20000, weights: {exact: 50, plenty: 50}, objective: {type: causal}}
            """)
        var mixer = try Mixer(
            mixture: try MixtureParser.load(path: path), tokensDirectory: fixture.tokensDirectory, windowDocs: 7)
        let chunks = try drain(&mixer, maxTokens: 1500)
        var covered: [String: [String: [Bool]]] = [:]
        var open: [String: RawPiece] = [:]  // per source, a document left unfinished
        for chunk in chunks {
            var at = 0
            var ends: [Int] = []
            for piece in chunk.pieces {
                let doc = try #require(fixture.document(chunk.source, id: piece.docId))
                #expect(
                    Array(chunk.tokens[at..<(at + piece.count)])
                        == Array(doc[piece.offset..<(piece.offset + piece.count)]))
                if let prev = open[chunk.source] {
                    // An unfinished document continues exactly where it stopped, even across phases.
                    #expect(prev.docId == piece.docId && prev.offset + prev.count == piece.offset)
                } else {
                    #expect(piece.offset == 0)
                }
                var marks =
                    covered[chunk.source, default: [:]][piece.docId] ?? Array(repeating: false, count: doc.count)
                for i in piece.offset..<(piece.offset + piece.count) {
                    #expect(!marks[i], "token \(i) of \(piece.docId) delivered twice")
                    marks[i] = true
                }
                covered[chunk.source, default: [:]][piece.docId] = marks
                at += piece.count
                if piece.offset + piece.count == doc.count {
                    ends.append(at)
                    open[chunk.source] = nil
                } else {
                    open[chunk.source] = piece
                }
            }
            #expect(at == chunk.tokens.count)
            #expect(ends == chunk.docEnds)
        }
        for (id, tokens) in fixture.documents["exact"] ?? [] {
            #expect(
                covered["exact"]?[id] == Array(repeating: true, count: tokens.count),
                "document \(id) not fully delivered")
        }
    }

    @Test func orderIsSeededShuffledAndReproducible() throws {
        let fixture = try MixFixture()
        try fixture.addSource("a", tokens: 50_000, docLengths: 50...400)
        let path = try fixture.writeMixture(
            "name: t\nphases:\n  - {name: p, budget: 50000, weights: {a: 1}, objective: {type: causal}}\n")
        let mixture = try MixtureParser.load(path: path)
        func order(seed: UInt64) throws -> [String] {
            var m = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory, seed: seed, windowDocs: 16)
            var ids: [String] = []
            for c in try drain(&m, maxTokens: 512) { for p in c.pieces where p.offset == 0 { ids.append(p.docId) } }
            return ids
        }
        let first = try order(seed: 1)
        let fileOrder = (fixture.documents["a"] ?? []).map(\.id)
        #expect(first.sorted() == fileOrder.sorted())  // every document once
        #expect(first != fileOrder)
        #expect(try order(seed: 1) == first)
        #expect(try order(seed: 2) != first)
    }

    @Test func resumingFromASavedStateGivesTheIdenticalRemainingStream() throws {
        let (fixture, mixture) = try Self.openMoEFixture(total: 300_000)
        var full = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory, seed: 9, windowDocs: 32)
        let reference = try Self.run(&full)
        let boundary = try #require(reference.firstIndex { $0.phase == 1 })
        for stop in [1, 57, boundary, boundary + 3, reference.count - 1] {
            var first = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory, seed: 9, windowDocs: 32)
            let head = try Self.run(&first, limit: stop)
            // The state survives a trip through JSON, as a build would save it.
            let saved = try JSONDecoder().decode(MixerState.self, from: JSONEncoder().encode(first.state))
            var resumed = try Mixer(
                mixture: mixture, tokensDirectory: fixture.tokensDirectory, seed: 9, windowDocs: 32, resumeFrom: saved)
            #expect(resumed.phase == first.phase)
            let tail = try Self.run(&resumed, from: stop)
            #expect(head + tail == reference, "resume after chunk \(stop)")
        }
        let other = try MixtureParser.load(path: presetPath("openmoe-8b")).scaled(toTotal: 300_001)
        let error = #expect(throws: MoeDataError.self) {
            _ = try Mixer(
                mixture: other, tokensDirectory: fixture.tokensDirectory, seed: 9, windowDocs: 32,
                resumeFrom: full.state)
        }
        #expect(error?.description.contains("does not belong to this mixture") == true)
    }

    @Test func runningOutPastMaxEpochsIsAnErrorWithTheMissingCount() throws {
        let fixture = try MixFixture()
        try fixture.addSource("small", tokens: 12_345, docLengths: 10...700)
        try fixture.addSource("big", tokens: 100_000)
        let yaml = { (epochs: Int) in
            """
            name: e
            sources: {small: {max_epochs: \(epochs)}}
            phases:
              - {name: first, budget: 40000, weights: {small: 25, big: 75}, objective: {type: causal}}
              - {name: second, budget: 20000, weights: {small: 50, big: 50}, objective: {type: causal}}
            """
        }
        // small needs 10,000 + 10,000 = 20,000 tokens; one epoch has 12,345.
        let one = try MixtureParser.parse(yaml: yaml(1), file: "e.yaml")
        let plan = try MixturePlan(mixture: one, available: ["small": 12_345, "big": 100_000], domains: [:])
        #expect(plan.problems.count == 1)
        #expect(plan.problems.first?.contains("7,655 tokens are missing") == true)
        #expect(plan.problems.first?.contains("e.yaml: sources.small") == true)
        #expect(plan.problems.first?.contains("phase 'second'") == true)
        #expect(throws: MoeDataError.self) { try plan.check() }
        var mixer = try Mixer(mixture: one, tokensDirectory: fixture.tokensDirectory)
        let error = #expect(throws: MoeDataError.self) { _ = try drain(&mixer, maxTokens: 1000) }
        let text = error?.description ?? ""
        #expect(text.contains("e.yaml: sources.small"), "\(text)")
        #expect(text.contains("source 'small' ran out of tokens in phase 'second'"), "\(text)")
        #expect(text.contains("7,655 are missing"), "\(text)")

        // With two epochs it fits, and the second pass is shuffled differently from the first.
        let two = try MixtureParser.parse(yaml: yaml(2), file: "e.yaml")
        #expect(
            try MixturePlan(mixture: two, available: ["small": 12_345, "big": 100_000], domains: [:]).problems.isEmpty)
        var ok = try Mixer(mixture: two, tokensDirectory: fixture.tokensDirectory)
        let chunks = try drain(&ok, maxTokens: 1000)
        #expect(chunks.filter { $0.source == "small" }.reduce(0) { $0 + $1.tokens.count } == 20_000)
        let starts = chunks.filter { $0.source == "small" }.flatMap(\.pieces).filter { $0.offset == 0 }.map(\.docId)
        let perEpoch = fixture.documents["small"]?.count ?? 0
        #expect(starts.count > perEpoch)
        #expect(Array(starts[perEpoch...].prefix(10)) != Array(starts.prefix(10)))
    }

    @Test func accountingReportsPhasesAndWindows() throws {
        let (fixture, mixture) = try Self.openMoEFixture(total: 220_000)
        var mixer = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory)
        var accounting = MixAccounting(schedule: mixer.schedule)
        for chunk in try Self.run(&mixer) { try accounting.record(chunk) }
        let rows = accounting.rows()
        let whole = rows.filter { $0.window == nil }
        #expect(whole.count == 2 * mixer.schedule.sources.count)
        for r in whole { #expect(r.realizedTokens == r.targetTokens) }
        let windows = rows.filter { $0.window != nil }
        #expect(Set(windows.filter { $0.phase == 0 }.compactMap(\.window)).count == 100)
        #expect(windows.allSatisfy { abs($0.cumulativeRealized - $0.cumulativeTarget) <= 2047 + 1 })
        for p in 0..<2 {
            let sum = windows.filter { $0.phase == p }.reduce(0) { $0 + $1.realizedTokens }
            #expect(sum == mixer.schedule.budgets[p])
        }
        let text = accounting.render(domains: openMoEDomains)
        #expect(text.contains("code 52.2500% (52.2500%)"), "\(text)")
        #expect(text.contains("code 15.0000% (15.0000%)"), "\(text)")
        // The state is Codable so a resumed build keeps counting.
        let copy = try JSONDecoder().decode(MixAccounting.self, from: JSONEncoder().encode(accounting))
        #expect(copy == accounting)
    }

    @Test func planShowsTargetsEpochsAndCodeShareFirst() throws {
        let mixture = try MixtureParser.load(path: presetPath("openmoe-8b"))
        var available = openMoEDomains.mapValues { _ in 500_000_000_000 }
        available["arxiv"] = 10_000_000_000
        let plan = try MixturePlan(mixture: mixture, available: available, domains: openMoEDomains)
        #expect(plan.phases[0].domainShares.first?.domain == "code")
        #expect(plan.phases[0].domainShares.first?.share == 0.5225)
        #expect(plan.phases[1].domainShares.first?.share == 0.15)
        let stack = try #require(plan.phases[0].sources.first)
        #expect(stack.source == "the_stack" && stack.targetTokens == 390_000_000_000)
        // arxiv: 9.75B + 14.4B = 24.15B needed from 10B → 14.15B missing.
        #expect(plan.problems.first?.contains("14,150,000,000 tokens are missing") == true)
        let text = plan.render()
        #expect(text.contains("domain shares: code 52.25%"))
        #expect(text.contains("390,000,000,000"))
        #expect(text.contains("Problems"))
    }

    /// Set MOE_MIX_BENCH_TOKENS (and build with -c release) to measure throughput.
    @Test func benchmarkMixesWhatItIsAskedFor() throws {
        let tokens = ProcessInfo.processInfo.environment["MOE_MIX_BENCH_TOKENS"].flatMap { Int($0) } ?? 200_000
        let result = try MixerBenchmark.run(tokens: tokens)
        #expect(result.tokens == tokens)
        #expect(result.tokensPerSecond > 0)
        print(
            "mixer benchmark: \(result.tokens) tokens, \(result.chunks) chunks in \(result.seconds) s = "
                + "\(Int(result.tokensPerSecond)) tokens/s"
        )
    }
}

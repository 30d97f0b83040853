import Foundation
import Testing

@testable import MoeData

@Suite struct MixtureFileTests {
    @Test func openMoE8BPresetParsesWithTable1Weights() throws {
        let m = try MixtureParser.load(path: presetPath("openmoe-8b"))
        #expect(m.name == "openmoe-8b")
        #expect(m.phases.map(\.budget) == [780_000_000_000, 320_000_000_000])
        #expect(m.totalTokens == 1_100_000_000_000)
        #expect(m.phases.map(\.objective.type) == [.ul2, .causal])
        guard case .ul2(let ul2) = m.phases[0].objective else { Issue.record("phase 0 is not UL2"); return }
        #expect(ul2.denoisers?.count == 6)
        #expect(ul2.denoisers?.last?.kind == .prefixLM)
        #expect(ul2.inputsLength == 1024)
        #expect(m.phases[0].weight(of: "the_stack") == 50)
        #expect(m.phases[0].weight(of: "github") == 2.25)
        #expect(m.phases[0].weight(of: "wikipedia_en") == 0)
        #expect(m.phases[1].weight(of: "wikipedia_en") == 6.5)
        #expect(m.phases[1].weight(of: "common_crawl") == 43.5)
        for phase in m.phases {
            #expect(phase.weights.reduce(0) { $0 + $1.weight } == 100)
            #expect(phase.seqLen == 2048)
        }
    }

    @Test func scalingTo1Point1MillionKeepsTheSwitchAt780K() throws {
        let m = try MixtureParser.load(path: presetPath("openmoe-8b")).scaled(toTotal: 1_100_000)
        #expect(m.phases.map(\.budget) == [780_000, 320_000])
        let schedule = try MixSchedule(m)
        func share(_ p: Int, _ sources: [String]) -> Double {
            let t = sources.compactMap { schedule.sources.firstIndex(of: $0) }.reduce(0) {
                $0 + schedule.targets[p][$1]
            }
            return Double(t) / Double(schedule.budgets[p])
        }
        #expect(share(0, ["the_stack", "github"]) == 0.5225)
        #expect(share(1, ["the_stack", "github"]) == 0.15)
        #expect(schedule.targets.map { $0.reduce(0, +) } == [780_000, 320_000])
        // A total that does not divide evenly still sums exactly and keeps the boundary proportional.
        let odd = try MixtureParser.load(path: presetPath("openmoe-8b")).scaled(toTotal: 1_000_003)
        #expect(odd.totalTokens == 1_000_003)
        #expect(odd.phases[0].budget == 709_093)  // round(1_000_003 × 780 / 1100)
    }

    @Test func baseAnd34BPresetsParseAndScale() throws {
        let base = try MixtureParser.load(path: presetPath("openmoe-base"))
        #expect(base.phases.map(\.budget) == [128_000_000_000])
        #expect(base.phases[0].objective.type == .ul2)
        #expect(base.phases[0].weight(of: "the_stack") == 50)
        let xl = try MixtureParser.load(path: presetPath("openmoe-34b"))
        #expect(xl.phases.map(\.budget) == [50_000_000_000, 150_000_000_000])
        #expect(xl.phases.map(\.objective.type) == [.ul2, .causal])
        #expect(
            xl.phases[0].weights
                == xl.phases[1].weights.map {
                    MixtureWeight(
                        source: $0.source, weight: $0.weight,
                        keyPath: $0.keyPath.replacingOccurrences(of: "phases[1]", with: "phases[0]"))
                })
        #expect(try xl.scaled(toTotal: 2_000_000).phases.map(\.budget) == [500_000, 1_500_000])
        let xlPlan = try MixturePlan(
            mixture: xl, available: openMoEDomains.mapValues { _ in 1 << 50 }, domains: openMoEDomains)
        #expect(xlPlan.phases[0].domainShares.first?.domain == "code")
        #expect(abs((xlPlan.phases[0].domainShares.first?.share ?? 0) - 0.35) < 1e-12)
    }

    @Test func groupsSplitTheirWeightByInnerWeights() throws {
        let m = try MixtureParser.parse(
            yaml: """
                name: g
                groups:
                  redpajama: {c4: 15, common_crawl: 67, github: 4.5, wikipedia: 4.5, book: 4.5, arxiv: 2.5, \
                  stackexchange: 2.0}
                phases:
                  - name: p
                    budget: 1000
                    weights: {redpajama: 50, the_stack: 50}
                    objective: {type: causal}
                """, file: "g.yaml")
        #expect(m.phases[0].weight(of: "c4") == 7.5)
        #expect(m.phases[0].weight(of: "common_crawl") == 33.5)
        #expect(m.phases[0].weight(of: "stackexchange") == 1.0)
        #expect(m.phases[0].weight(of: "the_stack") == 50)
        #expect(m.phases[0].weights.first { $0.source == "c4" }?.keyPath == "phases[0].weights.redpajama")
    }

    @Test func budgetsAsFractionsAndUnits() throws {
        let m = try MixtureParser.parse(
            yaml: """
                name: f
                total_tokens: 2.5M
                phases:
                  - {name: a, budget: {fraction: 0.2}, weights: {x: 1}, objective: {type: causal}}
                  - {name: b, budget: 1_500K, weights: {x: 1}, objective: {type: causal}}
                  - {name: c, budget: rest, weights: {x: 1}, objective: {type: causal}, seq_len: 512}
                """, file: "f.yaml")
        #expect(m.phases.map(\.budget) == [500_000, 1_500_000, 500_000])
        #expect(m.phases[2].seqLen == 512)
        #expect(TokenCount.parse("1.1T") == 1_100_000_000_000)
        #expect(TokenCount.parse("780_000") == 780_000)
        #expect(TokenCount.parse("1.5") == nil)
        #expect(TokenCount.parse("abc") == nil)
        #expect(TokenCount.format(1_100_000_000_000) == "1.1T")
        #expect(TokenCount.format(780_000) == "780K")
        #expect(TokenCount.format(1_234_567) == "1,234,567")
        #expect(TokenCount.format(2_500_000) == "2.5M")
        #expect(TokenCount.format(128_000_000_000) == "128B")
    }

    /// Every bad mixture is refused with the file, the line and the key path that is wrong.
    @Test(arguments: [
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: -1}, objective: {type: causal}}\n",
            "bad.yaml:3: phases[0].weights.c4", "positive"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: lots}, objective: {type: causal}}\n",
            "phases[0].weights.c4", "expected a number"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: 0, github: 0}, objective: {type: causal}}\n",
            "phases[0]", "every weight is zero"
        ),
        (
            "name: x\nphases:\n  - {name: a, weights: {c4: 1}, objective: {type: causal}}\n", "phases[0]",
            "has no budget"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: 0, weights: {c4: 1}, objective: {type: causal}}\n",
            "phases[0].budget", "must be positive"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: 1}, objective: {type: bert}}\n",
            "phases[0].objective.type", "unknown objective 'bert'"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: 1}, objective: {type: causal}, seqlen: 5}\n",
            "phases[0].seqlen", "unknown key (did you mean 'seq_len'?)"
        ),
        ("name: x\nphase: []\n", "bad.yaml:2: phase", "unknown key (did you mean 'phases'?)"),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: 1}, objective: {type: causal, "
                + "inputs_length: 5}}\n",
            "phases[0].objective.inputs_length", "unknown key"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: 1}, objective: {type: ul2, inputs_length: "
                + "2000, targets_length: 1024}}\n",
            "phases[0].objective", "exceed the phase's seq_len 2048"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: 1}, objective: {type: ul2, denoisers: "
                + "[{name: d, kind: span, rate: 1}]}}\n",
            "phases[0].objective.denoisers[0]", "mean_span"
        ),
        (
            "name: x\ntotal_tokens: 100\nphases:\n  - {name: a, budget: 10, weights: {c4: 1}, objective: {type: "
                + "causal}}\n",
            "bad.yaml:2: total_tokens", "add up to 10"
        ),
        (
            "name: x\nphases:\n  - {name: a, budget: {fraction: 0.5}, weights: {c4: 1}, objective: {type: causal}}\n",
            "phases[0].budget", "needs `total_tokens`"
        ),
        (
            "name: x\nsources: {c4: {max_epochs: 0}}\nphases:\n  - {name: a, budget: 10, weights: {c4: 1}, "
                + "objective: {type: causal}}\n",
            "sources.c4.max_epochs", "at least 1"
        ),
        ("name: x\nphases: []\n", "bad.yaml:2: phases", "at least one phase"),
        ("phases: []\n", "bad.yaml:1: name", "missing (required)"),
        (
            "name: x\nphases:\n  - {name: a, budget: 10, weights: {c4: 1, c4: 2}, objective: {type: causal}}\n",
            "bad.yaml", "c4"
        ),
    ])
    func badMixtureErrorsNameFileAndKey(yaml: String, location: String, reason: String) {
        do {
            _ = try MixtureParser.parse(yaml: yaml, file: "bad.yaml")
            Issue.record("accepted a bad mixture: \(yaml)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("bad.yaml"), "\(text)")
            #expect(text.contains(location), "\(text)")
            #expect(text.contains(reason), "\(text)")
        }
    }

    @Test func unknownSourcesAreNamedWithTheirKey() throws {
        let m = try MixtureParser.parse(
            yaml: """
                name: u
                sources: {arxiv: {max_epochs: 2}}
                phases:
                  - {name: a, budget: 10, weights: {c4: 1, arxiv: 1}, objective: {type: causal}}
                  - {name: b, budget: 10, weights: {c4: 1, githb: 1}, objective: {type: causal}}
                """, file: "u.yaml")
        #expect(throws: Never.self) { try m.validate(knownSources: ["c4", "arxiv", "githb"]) }
        let error = #expect(throws: MoeDataError.self) { try m.validate(knownSources: ["c4", "arxiv"]) }
        #expect(error?.description.contains("u.yaml: phases[1].weights.githb: unknown source 'githb'") == true)
        let error2 = #expect(throws: MoeDataError.self) { try m.validate(knownSources: ["c4", "githb"]) }
        #expect(error2?.description.contains("u.yaml: phases[0].weights.arxiv: unknown source 'arxiv'") == true)
    }
}

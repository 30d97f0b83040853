import Foundation
import JSON
import Testing

@testable import MoeTrain

/// Synthetic routers with known answers for the per-language shares, the special-token test of the domain
/// finding and the neighbouring-token statistic.
@Suite struct RoutingFindingsTests {
    /// 3 languages × 40 segments of 24 tokens; `expertOf(language, segment, position)` picks the top-1,
    /// the top-2 is the next expert.
    static func byLanguage(experts: Int = 8, expertOf: (Int, Int, Int) -> Int) -> LayerRouting {
        var r = LayerRouting(experts: experts, topK: 2)
        var offset: Int32 = 0
        for segment in 0..<120 {
            let language = segment % 3
            for pos in 0..<24 {
                let e = expertOf(language, segment, pos)
                r.append(
                    tokenId: Int32(pos % 7), position: Int32(pos), offset: offset, source: Int32(language),
                    language: Int32(language), choices: [Int32(e), Int32((e + 1) % experts)], gates: [0.6, 0.3],
                    kept: [true, true])
                offset += 1
            }
            offset += 5  // padding between rows: the next segment does not follow this one
        }
        return r
    }

    static let languages = ["de", "en", "zh"]

    /// Language l always on experts 2l, 2l+1: each language's distribution is 1/2 on two of the six used
    /// experts, the overall one 1/6 on each, so the distance is (2·(1/2 − 1/6) + 4·1/6)/2 = 2/3.
    @Test func languageRouterIsLanguageSpecific() {
        let r = Self.byLanguage { l, _, _ in 2 * l }
        let (overall, rows) = LanguageStatistics.shares(r, languages: Self.languages)
        #expect(overall.prefix(6).allSatisfy { abs($0 - 1.0 / 6) < 1e-12 } && overall[6] == 0)
        #expect(rows.count == 3 && rows.allSatisfy { abs($0.distance - 2.0 / 3) < 1e-12 })
        let control = LanguageStatistics.shuffledLabelDistance(r, languages: Self.languages, seed: 1)
        #expect(control < 0.1)
        let specific = LanguageStatistics.expertSpecificity(r, languages: Self.languages, minAssignments: 1)
        #expect(specific.count == 6)
        let e4 = specific.first { $0.expert == 4 }
        #expect(
            e4?.topLanguage == "zh" && abs((e4?.lift ?? 0) - 3) < 1e-9 && abs((e4?.specificity ?? 0) - 2.0 / 3) < 1e-12)
    }

    /// A router that ignores the language gives every language the overall distribution.
    @Test func languageBlindRouterIsNot() {
        let r = Self.byLanguage { _, segment, pos in (segment + pos) % 8 }
        let (_, rows) = LanguageStatistics.shares(r, languages: Self.languages)
        #expect(LanguageStatistics.meanDistance(rows) < 0.05)
        let specific = LanguageStatistics.expertSpecificity(r, languages: Self.languages, minAssignments: 1)
        #expect(specific.allSatisfy { $0.specificity < 0.05 })
    }

    @Test func specialTokenClasses() {
        let cases: [(String, SpecialTokenClass?)] = [
            ("<0x0A>", .byteFallback), ("<0xE2>", .byteFallback), ("<0xZZ>", nil), ("▁2026", .digit),
            ("7", .digit), ("\\frac", .latex), ("^{", .latex), ("$", .latex), ("▁=", .punctuation),
            ("),", .punctuation),
            ("▁the", nil), ("a1", nil), ("▁", nil), ("<bos/pad>", nil),
        ]
        for (piece, expected) in cases { #expect(SpecialTokenClass.classify(piece) == expected, "\(piece)") }
    }

    /// Three domains with 60%, 30% and 5% digits; digits always go to experts 0 and 1, other tokens cycle
    /// over all eight. The more digits a domain has, the further its routing is from the whole's, and the
    /// non-special tokens route alike everywhere.
    static func domains(digitsToExpertZero: Bool) -> (LayerRouting, [String]) {
        var r = LayerRouting(experts: 8, topK: 2)
        let digitShare = [60, 30, 5]
        for t in 0..<3000 {
            let domain = t % 3, i = t / 3
            let isDigit = i % 100 < digitShare[domain]
            let e = isDigit && digitsToExpertZero ? 0 : (domain == 2 && !digitsToExpertZero ? 6 : (i * 2) % 8)
            r.append(
                tokenId: isDigit ? 1 : 2, position: Int32(i), offset: Int32(i), source: Int32(domain),
                choices: [Int32(e), Int32(e + 1)], gates: [0.5, 0.5], kept: [true, true])
        }
        return (r, ["math", "code", "web"])
    }

    static func rows(_ r: LayerRouting, _ names: [String]) -> [DomainSpecialization.Row] {
        DomainSpecialization.rows(
            r, domainOf: { names[Int(r.sources[$0])] }, classOf: { $0 == 1 ? .digit : nil }, minTokens: 10)
    }

    @Test func specializationTracksSpecialTokensWhenTheyAreRoutedApart() throws {
        let (r, names) = Self.domains(digitsToExpertZero: true)
        let rows = Self.rows(r, names)
        #expect(rows.map(\.domain) == ["code", "math", "web"])
        let math = try #require(rows.first { $0.domain == "math" }),
            web = try #require(rows.first { $0.domain == "web" })
        #expect(abs(math.specialShare - 0.6) < 1e-12 && abs(web.specialShare - 0.05) < 1e-12)
        #expect(math.deviation > web.deviation + 0.1)
        // non-digits cycle over the experts (exactly evenly in math, nearly in the others)
        #expect(math.deviationWithoutSpecial < 1e-12 && rows.allSatisfy { $0.deviationWithoutSpecial < 0.02 })
        let rho = DomainSpecialization.spearman(rows.map(\.specialShare), rows.map(\.deviation))
        #expect(rho == 1)
    }

    @Test func specializationDoesNotTrackWhenAnotherDomainIsTheSpecialOne() {
        let (r, names) = Self.domains(digitsToExpertZero: false)
        let rows = Self.rows(r, names)
        let rho = DomainSpecialization.spearman(rows.map(\.specialShare), rows.map(\.deviation))
        #expect((rho ?? 1) < 0)
        #expect(rows.first { $0.domain == "web" }.map { $0.deviationWithoutSpecial > 0.3 } == true)
    }

    /// A sticky router keeps the previous token's expert 9 times in 10: the neighbours agree about 90% of
    /// the time, far above the shuffled control and chance.
    @Test func stickyRouterNeighboursAgree() {
        var state: UInt64 = 7
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        var current = 0
        let r = Self.byLanguage { _, _, pos in
            if pos == 0 || next() % 10 == 0 { current = next() % 8 }
            return current
        }
        let a = NeighbourStatistics.agreement(r, seed: 3)
        #expect(a.pairs == 120 * 23)
        #expect(a.same > 0.85 && a.same < 0.97)
        #expect(abs(a.chance - 0.125) < 0.03)
        #expect(a.shuffled < a.same - 0.3)
        #expect(a.holds)
    }

    /// Each segment draws its tokens' experts at random from its own pair of experts: neighbours agree
    /// above chance, but no more than the segment's shuffled tokens do, so the finding does not hold.
    /// (Chance alone would have called it.)
    @Test func segmentLevelRouterIsCaughtByTheShuffledControl() {
        var state: UInt64 = 11
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        let r = Self.byLanguage { _, segment, _ in 2 * (segment % 4) + next() % 2 }
        let a = NeighbourStatistics.agreement(r, seed: 3)
        #expect(a.same > 2 * a.chance)
        #expect(abs(a.same - a.shuffled) < 0.05)
        #expect(!a.holds)
    }

    @Test func metadataLanguageKeys() throws {
        let nested = try JSONValue.parse(Data(#"{"meta": {"language": "fr"}, "x": 1}"#.utf8))
        #expect(DocumentLanguages.language(meta: nested) == "fr")
        #expect(DocumentLanguages.language(meta: try JSONValue.parse(Data(#"{"lang": "Python"}"#.utf8))) == "Python")
        #expect(DocumentLanguages.language(meta: try JSONValue.parse(Data(#"{"path": "a.txt"}"#.utf8))) == nil)
    }

    /// The report states the three findings with their controls and writes their plots and tables.
    @Test func reportStatesLanguageSpecialTokenAndNeighbourFindings() throws {
        // each segment's top-1 moves to the next expert half-way: neighbours agree 22 times in 23
        let r = Self.byLanguage { l, _, pos in 2 * l + pos / 12 }
        let dir = try Fixtures.tempDir("findings-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = RoutingReportInput(
            checkpoints: [AnalysedCheckpoint(path: "a", step: 10, layers: [r, r])],
            sourceNames: ["s0", "s1", "s2"], domains: ["math", "code", "web"], layer: 1, capacityFactor: 2,
            minCount: 10, bucketWidth: 4, frequentIds: 5, rows: 1, languageNames: Self.languages,
            piece: { $0 == 3 ? "7" : "▁w\($0)" })
        let headline = try RoutingReport.write(input, to: dir)
        let text = headline.findings.joined(separator: "\n")
        #expect(text.contains("Language specialization HOLDS"), "\(text)")
        #expect(text.contains("Neighbouring tokens share their top-1 expert: HOLDS"), "\(text)")
        #expect(text.contains("Domain specialization"), "\(text)")
        for name in [
            "language-shares.svg", "language-experts.svg", "language_shares.csv", "language_experts.csv",
            "special_tokens.csv", "special-tokens.svg", "neighbours.csv", "neighbours.svg",
        ] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name) missing")
        }
        let md = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md.contains("## Languages") && md.contains("## Neighbouring tokens") && md.contains("\n7. "))
        let json = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("report.json"))).objectValue
        #expect(json?["languages"] != nil && json?["neighbours"] != nil && json?["special_tokens"] != nil)
        let csv = try String(contentsOf: dir.appendingPathComponent("language_shares.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 2 * 4)  // header, then per layer "all" + 3 languages
    }
}

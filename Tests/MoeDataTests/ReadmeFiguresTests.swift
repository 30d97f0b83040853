import Foundation
import JSON
import Testing

/// The README's deterministic figures, rerun: one build of the built-in sample with the README's
/// own command (into a temporary --output; it trains the sample's tokenizer there), then the phase
/// table, the denoiser shares, the row and document counts and the `plan` blocks are compared with
/// what the README says. `stats --json`'s per-phase fields are recomputed from the written rows.
/// (These figures are exact for a given set of Debian packages: the sample's files come from
/// python3-doc and the Python sources.)
@Suite(.serialized) struct ReadmeFiguresTests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var readme: String {
        (try? String(contentsOf: repo.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }

    /// The README's main command, as the README gives it.
    static var mainCommand: [String] {
        let prefix = ".build/release/moe-data build manifests/sample.yaml"
        let line = readme.split(separator: "\n").first { $0.hasPrefix(prefix) } ?? ""
        return line.split(separator: " ").dropFirst().map(String.init)
    }

    /// One build per test process, shared by the tests of this suite.
    static let build: Result<URL, any Error> = Result(catching: {
        let dir = try TestSupport.tempDir("readme")
        let out = dir.appendingPathComponent("sample")
        let r = try TestSupport.run(
            TestSupport.binary.path, mainCommand + ["--output", out.path, "--quiet"], cwd: repo)
        guard r.status == 0 else { throw ReadmeError(text: "the README's build failed: \(r.stderr)") }
        return out
    })
    struct ReadmeError: Error, CustomStringConvertible { var text: String; var description: String { text } }

    static func stats(_ out: URL) throws -> JSONValue {
        try JSONValue.parse(Data(try TestSupport.moeData(["stats", out.path, "--json"]).stdout.utf8))
    }
    static func grouped(_ n: Int64) -> String {
        let f = NumberFormatter()
        f.numberStyle = .decimal
        f.locale = Locale(identifier: "en_US")
        return f.string(from: NSNumber(value: n)) ?? "\(n)"
    }
    static func percent(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f%%", x * 100) }

    @Test func theMainCommandIsTheOneTheReadmeShows() {
        #expect(ReadmeFiguresTests.mainCommand.starts(with: ["build", "manifests/sample.yaml", "--mixture"]))
    }

    @Test func phaseTableDenoisersAndCountsMatchTheReadme() throws {
        let out = try ReadmeFiguresTests.build.get()
        let phases = try ReadmeFiguresTests.stats(out)["mixture"]?["phases"]?.arrayValue ?? []
        #expect(phases.count == 2)
        let readme = ReadmeFiguresTests.readme
        for p in phases {
            let name = p["name"]?.stringValue ?? "?"
            let row = try #require(
                readme.split(separator: "\n").first { $0.hasPrefix("| \(name) |") },
                "no README row for \(name)")
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let share =
                "\(ReadmeFiguresTests.percent(p["code_share"]?.doubleValue ?? 0, 4)) "
                + "(\(ReadmeFiguresTests.percent(p["target_code_share"]?.doubleValue ?? 0, 4)))"
            let expected = [
                ReadmeFiguresTests.grouped(p["source_tokens"]?.intValue ?? 0), share,
                ReadmeFiguresTests.grouped(p["rows"]?.intValue ?? 0),
                ReadmeFiguresTests.percent(p["padding_share"]?.doubleValue ?? 0, 2),
            ]
            #expect(Array(cells.suffix(4)) == expected, "README: \(row)\nrun: \(expected)")
            if let denoisers = p["denoisers"]?.objectValue, !denoisers.isEmpty {
                let shares = denoisers.keys.sorted().map {
                    "\($0) \(ReadmeFiguresTests.percent(denoisers[$0]?["share"]?.doubleValue ?? 0, 2))"
                }
                let examples = ReadmeFiguresTests.grouped(p["examples"]?.intValue ?? 0)
                let line =
                    "Denoiser shares of the UL2 phase's \(examples) examples: "
                    + shares.joined(separator: ", ")
                #expect(readme.replacingOccurrences(of: "\n", with: " ").contains(line), "README lacks: \(line)")
            }
        }
        let rows = phases.reduce(Int64(0)) { $0 + ($1["rows"]?.intValue ?? 0) }
        #expect(readme.contains("(\(ReadmeFiguresTests.grouped(rows)) rows of 2,048 tokens"), "\(rows) rows")
        #expect(readme.contains("(\(rows), (2048,)"), "\(rows) rows in the streaming example")
        let sources = try ReadmeFiguresTests.stats(out)["sources"]?.arrayValue ?? []
        let documents = sources.reduce(Int64(0)) { $0 + ($1["documents"]?.intValue ?? 0) }
        #expect(readme.contains("(\(documents), 'common_crawl'"), "\(documents) documents in the streaming example")
    }

    @Test func planBlocksMatchTheReadme() throws {
        let out = try ReadmeFiguresTests.build.get()
        let readme = ReadmeFiguresTests.readme
        let blocks = readme.components(separatedBy: "\n$ moe-data plan ").dropFirst()
        #expect(blocks.count == 3)
        for block in blocks {
            let lines = block.components(separatedBy: "\n")
            let args = lines[0].split(separator: " ").map(String.init)
            let body = lines.dropFirst().prefix { !$0.hasPrefix("$ ") && !$0.hasPrefix("```") }
            let r = try TestSupport.run(
                TestSupport.binary.path, ["plan"] + args + ["--output", out.path],
                cwd: ReadmeFiguresTests.repo)
            #expect(r.status == 0, "\(r.stderr)")
            let expected = body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(
                r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected,
                "plan \(lines[0]) differs:\n\(r.stdout)")
        }
    }

    /// `stats --json` per phase, recomputed from the rows on disk.
    @Test func statsJSONPhaseFieldsAgreeWithTheWrittenRows() throws {
        let out = try ReadmeFiguresTests.build.get()
        let json = try ReadmeFiguresTests.stats(out)
        let phases = json["mixture"]?["phases"]?.arrayValue ?? []
        let code = Set(
            (json["sources"]?.arrayValue ?? []).filter { $0["domain"]?.stringValue == "code" }
                .compactMap { $0["name"]?.stringValue })
        struct Tally {
            var rows = 0, examples = 0, tokens = 0, code = 0, padding = 0, total = 0
            var denoisers: [String: Int] = [:]
        }
        var tallies: [Int: Tally] = [:]
        for row in try TestSupport.samples(out.appendingPathComponent("packed")) {
            let phase = Int(row["phase"]?.int ?? -1)
            var t = tallies[phase] ?? Tally()
            t.rows += 1
            let segs = row["segment_ids"]?.uint16s ?? []
            t.padding += segs.filter { $0 == 0 }.count
            t.total += segs.count
            for seg in row["provenance"]?.json?.arrayValue ?? [] {
                t.examples += 1
                if let d = seg["denoiser"]?.stringValue { t.denoisers[d, default: 0] += 1 }
                let n = (seg["docs"]?.arrayValue ?? []).reduce(0) { $0 + Int($1.arrayValue?[2].intValue ?? 0) }
                t.tokens += n
                if code.contains(seg["source"]?.stringValue ?? "") { t.code += n }
            }
            tallies[phase] = t
        }
        for (i, p) in phases.enumerated() {
            let t = try #require(tallies[i])
            #expect(p["rows"]?.intValue == Int64(t.rows) && p["source_tokens"]?.intValue == Int64(t.tokens))
            #expect(
                p["examples"]?.intValue == Int64(t.examples),
                "phase \(i): \(p["examples"] ?? .null) vs \(t.examples) segments")
            #expect(abs((p["code_share"]?.doubleValue ?? -1) - Double(t.code) / Double(t.tokens)) < 1e-12)
            #expect(abs((p["target_code_share"]?.doubleValue ?? -1) - Double(t.code) / Double(t.tokens)) < 1e-4)
            #expect(abs((p["padding_share"]?.doubleValue ?? -1) - Double(t.padding) / Double(t.total)) < 1e-12)
            for (d, n) in t.denoisers {
                let share = p["denoisers"]?[d]?["share"]?.doubleValue ?? -1
                #expect(abs(share - Double(n) / Double(t.examples)) < 1e-12, "\(d)")
            }
        }
    }
}

extension JSONValue {
    /// A JSON number as a Double, whether it was written as an integer or not.
    var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
}

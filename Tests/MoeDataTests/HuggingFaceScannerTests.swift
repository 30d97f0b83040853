import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// The hand-written scanners of the Split patterns cut text where the regex does: the tokenizers
/// library's own `Split` pre-tokenizer (Oniguruma) is the reference.
@Suite struct HuggingFaceScannerTests {
    static func ourPieces(_ line: String, _ pattern: SplitPattern) -> [String] {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return [] }
            let scanner = SplitScanner(text: base, end: buffer.count)
            var pieces: [String] = []
            var i = 0
            while i < buffer.count {
                let end = scanner.pieceEnd(from: i, pattern: pattern)
                pieces.append(String(decoding: buffer[i..<end], as: UTF8.self))
                i = end
            }
            return pieces
        }
    }

    static func libraryPieces(_ lines: [String], _ pattern: SplitPattern) throws -> [[String]] {
        let input = try TokenizerFixtures.write(
            JSONValue.array(lines.map(JSONValue.string)).encoded(), "split-\(pattern).json")
        let script = """
            import json, sys
            from tokenizers import pre_tokenizers, Regex
            split = pre_tokenizers.Split(Regex(sys.argv[1]), behavior="isolated")
            lines = json.load(open(sys.argv[2], encoding="utf-8"))
            print(json.dumps([[p for p, _ in split.pre_tokenize_str(l)] for l in lines]))
            """
        let r = try Python.run(script, [pattern.regex, input])
        guard r.status == 0 else { throw MoeDataError("tokenizers failed: \(r.stderr)") }
        return (try JSONValue.parse(Data(r.stdout.utf8)).arrayValue ?? []).map {
            ($0.arrayValue ?? []).compactMap(\.stringValue)
        }
    }

    @Test(arguments: SplitPattern.allCases) func scannerCutsWhereTheRegexDoes(_ pattern: SplitPattern) throws {
        // Every character class boundary: one line per pair of characters from a list of samples.
        let samples = [
            "a", "Z", "é", "ſ", "'", "s", "t", "re", "1", "²", "Ⅻ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u{A0}",
            "\u{3000}", "\u{85}", "\u{2028}", "\u{1C}", ".", "(", "\u{301}", "👍", "中", "_", "-",
        ]
        let pairs = samples.flatMap { a in samples.map { b in a + b + a + " " + b + b } }
        let lines = try HuggingFaceFixtures.corpus() + pairs
        let theirs = try Self.libraryPieces(lines, pattern)
        #expect(theirs.count == lines.count)
        var differing = 0
        for (i, line) in lines.enumerated() where i < theirs.count {
            let ours = Self.ourPieces(line, pattern)
            guard ours != theirs[i] else { continue }
            differing += 1
            if differing <= 5 {
                let excerpt = String(reflecting: String(line.prefix(60)))
                Issue.record("\(pattern) \(excerpt): ours \(ours.prefix(12)) regex \(theirs[i].prefix(12))")
            }
        }
        #expect(differing == 0)
    }

    @Test func patternsAreRecognizedByTheirExactRegex() {
        for pattern in SplitPattern.allCases { #expect(SplitPattern(regex: pattern.regex) == pattern) }
        #expect(SplitPattern(regex: #"\s+|\S+"#) == nil)
    }
}

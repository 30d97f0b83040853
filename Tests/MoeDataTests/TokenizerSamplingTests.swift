import Foundation
import MoeData
import Testing

@Suite("Tokenizer training sample")
struct TokenizerSamplingTests {
    func sources() throws -> [(source: any TrainingTextSource, share: Double)] {
        let prose = try TokenizerFixtures.write(TokenizerFixtures.prose(maxBytes: 800_000), "sample-prose.txt")
        let code = try TokenizerFixtures.write(TokenizerFixtures.code(maxBytes: 300_000), "sample-code.txt")
        return [(TextFileSource(path: prose, format: .text), 3), (TextFileSource(path: code, format: .text), 1)]
    }

    @Test func sampleRespectsBudgetsAndSharesAndIsDeterministic() throws {
        let sampler = TrainingSampler(totalBytes: 200_000, seed: 7)
        let (a, statsA) = try sampler.sample(sources())
        let (b, _) = try sampler.sample(sources())
        #expect(a == b)
        #expect(statsA.map(\.budgetBytes) == [150_000, 50_000])
        for s in statsA {
            #expect(s.bytesKept <= s.budgetBytes)
            #expect(s.bytesKept > s.budgetBytes * 9 / 10, "\(s)")
            #expect(s.bytesSeen > s.budgetBytes)
        }
        #expect(a.reduce(0) { $0 + $1.utf8.count } == statsA.reduce(0) { $0 + $1.bytesKept })
        let (c, _) = try TrainingSampler(totalBytes: 200_000, seed: 8).sample(sources())
        #expect(c != a, "another seed draws another sample")
        #expect(a.allSatisfy { !$0.contains("\n") && !$0.allSatisfy(\.isWhitespace) })
    }

    @Test func longLinesAreCutAtCharacterBoundaries() throws {
        let long = String(repeating: "ab🚀é", count: 3000)  // 21,000 bytes in one line
        let source = ClosureTextSource(name: "long") { body in try body(Substring(long)) }
        let (sentences, _) = try TrainingSampler(totalBytes: 100_000, seed: 1, maxSentenceBytes: 1000).sample([
            (source, 1)
        ])
        #expect(sentences.joined() == long)
        #expect(sentences.allSatisfy { $0.utf8.count <= 1000 && $0.utf8.count > 990 || $0 == sentences.last })
    }

    @Test func trainingIsReproducible() throws {
        let lines = try TokenizerFixtures.prose(maxBytes: 200_000).split(separator: "\n").map(String.init)
        let options = TokenizerFixtures.smallOptions(vocab: 700)
        let a = TokenizerFixtures.directory.appendingPathComponent("repro-a.model").path
        let b = TokenizerFixtures.directory.appendingPathComponent("repro-b.model").path
        try lockedTrain(sentences: lines, options: options, modelPath: a)
        try lockedTrain(sentences: lines, options: options, modelPath: b)
        #expect(try Tokenizer(modelPath: a).modelHash == (try Tokenizer(modelPath: b).modelHash))
    }
}

import Foundation

/// The n-grams of the evaluation passages a manifest decontaminates against (GPT-3's rule: a
/// document sharing one 13-word n-gram with an evaluation passage is contaminated). Words are the
/// fineweb normalization's, like near dedup's; a passage of fewer than n words has no n-gram.
/// Evaluation sets are small: their n-grams are held in memory.
struct EvaluationNgrams: Sendable {
    let ngram: Int
    /// Each passage as `<file>:<line>`.
    let passages: [String]
    /// The hash of each n-gram, and the first passage that has it.
    private let first: [UInt64: Int]

    init(_ spec: DedupSpec.Decontamination) throws {
        ngram = spec.ngram
        var passages: [String] = []
        var first: [UInt64: Int] = [:]
        for path in spec.paths {
            for (line, text) in try Self.passages(path, textField: spec.textField) {
                for hash in Self.hashes(TextNormalizer.words(text), ngram: spec.ngram) where first[hash] == nil {
                    first[hash] = passages.count
                }
                passages.append("\(path):\(line)")
            }
        }
        self.passages = passages
        self.first = first
    }

    /// The first passage sharing an n-gram with `words`, or nil.
    func match(_ words: [ArraySlice<UInt8>]) -> Int? {
        for hash in Self.hashes(words, ngram: ngram) {
            if let passage = first[hash] { return passage }
        }
        return nil
    }

    /// The hash of every window of `ngram` words.
    static func hashes(_ words: [ArraySlice<UInt8>], ngram: Int) -> [UInt64] {
        WordNgrams.hashes(words, n: ngram, shortAsOne: false)
    }

    /// (line, text) of each passage of a file: JSONL's text field (`.jsonl`, `.json`, compressed or
    /// not), or each non-blank line of a text file.
    static func passages(_ path: String, textField: String) throws -> [(Int, [UInt8])] {
        let lower = path.lowercased().replacingOccurrences(of: ".zst", with: "").replacingOccurrences(
            of: ".gz", with: "")
        guard lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MoeDataError("\(path): cannot read the evaluation file")
            }
            return [UInt8](data).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
                .compactMap { i, line in
                    line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } ? nil : (i + 1, Array(line))
                }
        }
        var reader = try JSONLReader(path: path, textField: textField, maxLineBytes: 1 << 30)
        var passages: [(Int, [UInt8])] = []
        while let event = try reader.next() {
            switch event {
            case .document(let document): passages.append((document.position.record, document.text))
            case .skip(let skip): throw MoeDataError("evaluation file \(skip.location): \(skip.reason)")
            }
        }
        return passages
    }
}

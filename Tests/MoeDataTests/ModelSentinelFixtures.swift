import Foundation
import MoeData
import Testing

/// Models that spell T5's sentinels as pieces of their own, trained by the real `spm_train` as
/// issue 23's users did (`--user_defined_symbols=<extra_id_0>,...,<extra_id_99>,[NLU],[NLG],[S2S]`).
enum ModelSentinelFixtures {
    static let sentinelCount = 100

    /// `<extra_id_0>` ... `<extra_id_99>` and the three mode tokens, made once per test process.
    static let ownSentinels: Result<String, any Error> = Result {
        try train(
            "own-sentinels",
            symbols: (0..<sentinelCount).map(Tokenizer.sentinelPiece) + ModeToken.symbols)
    }

    static func model() throws -> String { try ownSentinels.get() }

    /// A model with the user-defined `symbols` (vocabulary 1000, umT5 ids, byte fallback).
    static func train(_ name: String, symbols: [String]) throws -> String {
        let dir = try TestSupport.tempDir(name)
        let input = dir.appendingPathComponent("train.txt")
        var text = ""
        for f in try TestSupport.realTextFiles(25) { text += try String(contentsOfFile: f, encoding: .utf8) }
        text += try String(contentsOfFile: TestSupport.codeRoot + "/json/decoder.py", encoding: .utf8)
        try text.write(to: input, atomically: true, encoding: .utf8)
        let prefix = dir.appendingPathComponent("m").path
        let r = try TestSupport.run(
            TestSupport.which("spm_train"),
            [
                "--input=\(input.path)", "--model_prefix=\(prefix)", "--vocab_size=1000", "--model_type=unigram",
                "--byte_fallback=true", "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1",
                "--character_coverage=0.9995", "--num_threads=2", "--minloglevel=2",
                "--user_defined_symbols=" + symbols.joined(separator: ","),
            ])
        guard r.status == 0 else { throw MoeDataError("spm_train failed: \(r.stderr)") }
        return prefix + ".model"
    }

    /// A manifest over two small real sources with `model` and `sentinels` as written.
    static func manifest(in dir: URL, model: String, sentinels: String) throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("manifest.yaml").path
        try """
        name: test
        output: out
        shard_size: 32KiB
        tokenizer:
          model: \(model)
          sentinels: \(sentinels)
        sources:
          - {name: web, format: text, paths: ["\(TestSupport.docsRoot)/tutorial"], domain: web}
          - {name: code, format: code, paths: ["\(TestSupport.codeRoot)/json"], extensions: {.py: Python}, \
        domain: code}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A mixture of one phase with `objective` (YAML flow mapping), or UL2 then causal (UL2's lengths
    /// shortened so that 100 sentinels cover its noise spans).
    static func mixture(in dir: URL, name: String = "mix.yaml", objective: String? = nil) throws -> String {
        let path = dir.appendingPathComponent(name).path
        let ul2 = "{type: ul2, inputs_length: 256, targets_length: 256, mode_tokens: reserved}"
        let phases =
            objective.map { "  - {name: only, budget: rest, weights: {web: 50, code: 50}, objective: \($0)}" }
            ?? """
              - {name: ul2, budget: 15000, weights: {web: 50, code: 50}, objective: \(ul2)}
              - {name: lm, budget: rest, weights: {web: 70, code: 30}, objective: {type: causal}}
            """
        try """
        name: tiny
        total_tokens: 30000
        seed: 3
        phases:
        \(phases)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

import Foundation
import Testing
@testable import MoeData

/// `moe-data tokenizer train --manifest`: the sample is drawn from the manifest's sources with
/// the shares asked for, and the model has the umT5 layout.
@Suite(.serialized) struct TokenizerManifestTests {
    @Test func trainsFromAManifestsSourcesWithPerSourceShares() throws {
        let dir = try TestSupport.tempDir("tokman")
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = try TestSupport.realTextFiles(20)
        let manifest = try TestSupport.manifest(in: dir, sources: """
          - {name: prose, format: text, paths: [\(texts.joined(separator: ", "))], domain: web}
          - {name: code, format: code, paths: [\(TestSupport.codeRoot)/json, \(TestSupport.codeRoot)/email], domain: code, extensions: [.py]}
        """)
        let model = dir.appendingPathComponent("m.model").path
        let r = try TestSupport.moeData(["tokenizer", "train", "-o", model, "--manifest", manifest, "--source-share", "prose=1",
                                         "--source-share", "code=3", "--vocab-size", "600", "--sample-bytes", "400K"])
        #expect(r.status == 0, "\(r.stderr)")
        // Budgets follow the shares: 100K for prose, 300K for code.
        #expect(r.stdout.contains("sample prose:") && r.stdout.contains("(budget 100000)"), "\(r.stdout)")
        #expect(r.stdout.contains("sample code:") && r.stdout.contains("(budget 300000)"), "\(r.stdout)")
        let t = try Tokenizer(modelPath: model)
        #expect(t.pieceCount == 600 && t.vocabSize == 900 && t.paddedVocabSize == 1024)
        #expect(t.padId == 0 && t.eosId == 1 && t.unkId == 2)
        let unknown = try TestSupport.moeData(["tokenizer", "train", "-o", model, "--manifest", manifest, "--source-share", "nope=1"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--source-share.nope: no source of that name"), "\(unknown.stderr)")
    }
}

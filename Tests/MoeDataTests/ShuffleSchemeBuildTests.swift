import Foundation
import Testing

@testable import MoeData

/// A build made before documents were ordered by canonical blocks (their order came from the token
/// shards) is neither reused nor resumed: its rows would not be the ones this moe-data makes, and
/// a resume would make rows half in one order and half in the other. The binary starts it again.
@Suite(.serialized) struct ShuffleSchemeBuildTests {
    /// Makes `out`'s catalog look as a build before the change left it: the signature computed as it
    /// was then, and, for an interrupted build, a checkpoint whose mixer state has no `shuffle`.
    static func makeEarlier(manifest: String, mixture: String) throws {
        let m = try Manifest.load(path: manifest)
        let mix = try MixtureParser.load(path: mixture)
        let tokenizer = try Tokenizer(modelPath: m.tokenizer.model, sentinels: m.tokenizer.sentinels)
        let catalog = try Catalog(outputDirectory: m.output)
        let build = Build(manifest: m, mixture: mix, options: Build.Options())
        func signature(_ shuffle: String?) throws -> String {
            try build.signature(
                schedule: try MixSchedule(mix), seed: mix.seed, tokenizer: tokenizer, catalog: catalog,
                shuffle: shuffle)
        }
        #expect(try catalog.value("build.signature") == signature(Mixer.shuffleScheme))
        let earlier = try signature(nil)
        #expect(earlier != (try signature(Mixer.shuffleScheme)))
        try catalog.setValue("build.signature", earlier)
        guard let text = try catalog.value("build.checkpoint"), !text.isEmpty else { return }
        var checkpoint = try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var mixer = try #require(checkpoint["mixer"] as? [String: Any])
        #expect(mixer["shuffle"] as? String == Mixer.shuffleScheme)
        mixer["shuffle"] = nil
        checkpoint["mixer"] = mixer
        let data = try JSONSerialization.data(withJSONObject: checkpoint)
        try catalog.setValue("build.checkpoint", String(decoding: data, as: UTF8.self))
    }

    @Test func aBuildMadeWithShardWindowsIsBuiltAgain() throws {
        let dir = try TestSupport.tempDir("shuffle-scheme")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try FaultPointTests.mixture(in: dir)
        let ref = try FaultPointTests.manifest(in: dir.appendingPathComponent("ref"))
        #expect(try TestSupport.moeData(["build", ref, "--mixture", mixture, "--quiet"]).status == 0)
        let reference = try TestSupport.tree(dir.appendingPathComponent("ref/out/packed"))
        #expect(reference.count > 3)

        // Finished before the change: not "up to date", built again.
        let finished = try FaultPointTests.manifest(in: dir.appendingPathComponent("finished"))
        #expect(try TestSupport.moeData(["build", finished, "--mixture", mixture, "--quiet"]).status == 0)
        try Self.makeEarlier(manifest: finished, mixture: mixture)
        let rebuilt = try TestSupport.moeData(["build", finished, "--mixture", mixture])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(!rebuilt.stdout.contains("up to date"), "\(rebuilt.stdout)")
        #expect(try TestSupport.tree(dir.appendingPathComponent("finished/out/packed")) == reference)

        // Interrupted before the change: started again, not resumed.
        let interrupted = try FaultPointTests.manifest(in: dir.appendingPathComponent("interrupted"))
        let killed = try FaultPointTests.run(
            ["build", interrupted, "--mixture", mixture, "--quiet"], fault: "build.shard.committed:2")
        #expect(killed.signalled, "\(killed.stderr)")
        try Self.makeEarlier(manifest: interrupted, mixture: mixture)
        let restarted = try TestSupport.moeData(["build", interrupted, "--mixture", mixture])
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(!restarted.stdout.contains("resumed"), "\(restarted.stdout)")
        #expect(try TestSupport.tree(dir.appendingPathComponent("interrupted/out/packed")) == reference)
    }
}

import Foundation
import Testing

@testable import MoeData

/// `build --jobs N` opens the token datasets before it loads the tokenizer (`OpenedSources`). The
/// mixer must take an opened source only where it reads what a fresh one would.
@Suite struct OpenedSourcesTests {
    struct Setup {
        let dir: URL
        let mixture: Mixture
        let tokens: URL
    }

    static func setup(_ name: String) throws -> Setup {
        let dir = try TestSupport.tempDir(name)
        let manifest = try FaultPointTests.manifest(in: dir)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let output = try Manifest.load(path: manifest).output
        let mixture = try MixtureParser.load(path: try FaultPointTests.mixture(in: dir))
        return Setup(dir: dir, mixture: mixture, tokens: URL(fileURLWithPath: output).appendingPathComponent("tokens"))
    }

    static func take(_ opened: OpenedSources, _ s: Setup, _ source: String) -> SourceDocuments? {
        opened.take(
            name: source, directory: s.tokens.appendingPathComponent(source), seed: s.mixture.seed,
            windowDocs: Mixer.defaultWindowDocs)
    }

    @Test func anOpenedSourceReadsTheDocumentsOfAFreshOne() throws {
        let s = try OpenedSourcesTests.setup("opened-same")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let opened = OpenedSources(mixture: s.mixture, tokensDirectory: s.tokens)
        for source in ["web", "code"] {
            let early = try #require(OpenedSourcesTests.take(opened, s, source), "\(source) was not opened")
            #expect(OpenedSourcesTests.take(opened, s, source) == nil, "\(source) handed out twice")
            let fresh = try SourceDocuments(
                name: source, directory: s.tokens.appendingPathComponent(source), seed: s.mixture.seed,
                windowDocs: Mixer.defaultWindowDocs, readAhead: true)
            for epoch in 0..<2 {
                for position in 0..<min(300, fresh.count) {
                    let a = try early.document(epoch: epoch, position: position)
                    let b = try fresh.document(epoch: epoch, position: position)
                    #expect(a.id == b.id && a.tokens == b.tokens, "\(source) epoch \(epoch) position \(position)")
                }
            }
        }
    }

    /// An ingest or a dedup after the opening changes what a fresh source reads: not taken.
    @Test func aSourceWhoseIndexOrRemovalListChangedIsNotTaken() throws {
        let s = try OpenedSourcesTests.setup("opened-changed")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let opened = OpenedSources(mixture: s.mixture, tokensDirectory: s.tokens)
        let index = s.tokens.appendingPathComponent("web/index.json")
        try (try Data(contentsOf: index) + Data(" ".utf8)).write(to: index)
        #expect(OpenedSourcesTests.take(opened, s, "web") == nil, "taken after index.json changed")
        let removed = RemovedDocuments.file(outputDirectory: s.tokens.deletingLastPathComponent(), source: "code")
        try FileManager.default.createDirectory(
            at: removed.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("removed".utf8).write(to: removed)
        #expect(OpenedSourcesTests.take(opened, s, "code") == nil, "taken after a removal list appeared")
    }

    /// A resumed mixer starts its sources elsewhere than the first window: it opens its own.
    @Test func aResumedMixerDoesNotTakeThem() throws {
        let s = try OpenedSourcesTests.setup("opened-resumed")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        var first = try Mixer(mixture: s.mixture, tokensDirectory: s.tokens, readAhead: true)
        for _ in 0..<50 { _ = try first.next(maxTokens: 512) }
        let state = first.state
        #expect(state.sources.allSatisfy { $0.cursor != SourceCursor() }, "every source must have moved")
        let opened = OpenedSources(mixture: s.mixture, tokensDirectory: s.tokens)
        _ = try Mixer(mixture: s.mixture, tokensDirectory: s.tokens, resumeFrom: state, readAhead: true, opened: opened)
        #expect(OpenedSourcesTests.take(opened, s, "web") != nil, "a resumed mixer took web")
        _ = try Mixer(mixture: s.mixture, tokensDirectory: s.tokens, readAhead: true, opened: opened)
        #expect(OpenedSourcesTests.take(opened, s, "code") == nil, "a fresh mixer did not take code")
    }

    /// `verify --repair` moves a damaged token shard aside and the build's ingest writes it again:
    /// an early read of it failed, and must not fail the build (VerifyTests found this).
    @Test func aSourceWhoseShardFailedToReadIsNotTaken() throws {
        let s = try OpenedSourcesTests.setup("opened-missing")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let shards = try FileManager.default.contentsOfDirectory(atPath: s.tokens.appendingPathComponent("web").path)
            .filter { $0.hasSuffix(".zstd") }.sorted()
        #expect(shards.count > 1)
        let aside = s.dir.appendingPathComponent("aside")
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        for name in shards {
            try FileManager.default.moveItem(
                at: s.tokens.appendingPathComponent("web/\(name)"), to: aside.appendingPathComponent(name))
        }
        let opened = OpenedSources(mixture: s.mixture, tokensDirectory: s.tokens)
        // The read-ahead thread tries the missing file at once; a second is ample for it to start.
        Thread.sleep(forTimeInterval: 1)
        for name in shards {
            try FileManager.default.moveItem(
                at: aside.appendingPathComponent(name), to: s.tokens.appendingPathComponent("web/\(name)"))
        }
        #expect(OpenedSourcesTests.take(opened, s, "web") == nil, "taken after its first shard failed to read")
        #expect(OpenedSourcesTests.take(opened, s, "code") != nil, "code read fine and was not taken")
        var mixer = try Mixer(mixture: s.mixture, tokensDirectory: s.tokens, readAhead: true, opened: opened)
        #expect(try mixer.next(maxTokens: 512) != nil)
    }
}

import Foundation
import MDS
import MoeTestSupport
import PackedFormat
import Testing

@testable import MoeData

/// The order of a source's documents depends on the documents in canonical order, never on where
/// the shards of its token dataset start (ingest as N tasks cuts them elsewhere); reading it holds
/// only the shards of one window and decompresses a shard about once per epoch.
@Suite struct BlockShuffleTests {
    typealias Doc = (id: String, tokens: [UInt32])

    /// Documents of 1...120 tokens, each token naming its document.
    static func documents(_ n: Int) -> [Doc] {
        var rng = KeyedRandom(seed: 17, UInt64(n))
        return (0..<n).map { d in
            let length = rng.int(in: 1...120)
            return ("src/f\(d / 25).jsonl:\(d % 25 + 1)", (0..<length).map { UInt32(d * 1000 + $0) })
        }
    }

    /// Writes `docs` with the real MDS writer, ending a shard before every document in `cuts`
    /// and wherever `shardBytes` is reached.
    static func write(_ docs: [Doc], to dir: URL, shardBytes: Int, cuts: Set<Int> = []) throws -> MDSIndex {
        let writer = try MDSWriter(
            directory: dir,
            columns: [
                MDSColumn("doc_id", .str), MDSColumn("meta", .json), MDSColumn("source", .str),
                MDSColumn("tokens", .ndarray(.uint32, count: nil)),
            ], sizeLimit: shardBytes)
        for (i, doc) in docs.enumerated() {
            if cuts.contains(i) { try writer.flush() }
            try writer.write([
                "doc_id": .string(doc.id), "meta": .json(.object([:])), "source": .string("src"),
                "tokens": .uint32s(doc.tokens),
            ])
        }
        try writer.finish()
        return try MDSIndex.read(from: dir)
    }

    /// The documents of `epochs` epochs, in stream order.
    static func stream(
        _ dir: URL, windowDocs: Int, blockWindows: Int, epochs: Int, seed: UInt64 = 4
    ) throws -> [[Doc]] {
        let source = try SourceDocuments(
            name: "src", directory: dir, seed: seed, windowDocs: windowDocs, blockWindows: blockWindows)
        return try (0..<epochs).map { epoch in
            try (0..<source.count).map { position in
                let doc = try source.document(epoch: epoch, position: position)
                return (doc.id, doc.tokens)
            }
        }
    }

    static func same(_ a: [[Doc]], _ b: [[Doc]]) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy { x, y in x.map(\.id) == y.map(\.id) && x.map(\.tokens) == y.map(\.tokens) }
    }

    @Test func theStreamIsTheSameWhereverTheShardsStart() throws {
        let root = try TempFolder.make("blocks")
        defer { try? FileManager.default.removeItem(at: root) }
        let docs = Self.documents(300)
        // Windows of 16 documents: 18 full ones and a short one of 12; blocks of 1 and of 4 windows.
        let layouts: [(name: String, shardBytes: Int, cuts: Set<Int>, shards: ClosedRange<Int>)] = [
            ("one shard", 1 << 30, [], 1...1),
            ("shards of different sizes", 1 << 30, [5, 6, 90, 200], 5...5),
            ("cuts in the middle of blocks", 1 << 30, [7, 23, 41, 250, 299], 6...6),
            ("many small shards", 2_000, [], 20...300),
            ("small shards and cuts", 3_000, [1, 33, 34, 35, 160], 20...300),
        ]
        var reference: [[Doc]]?
        for layout in layouts {
            let dir = root.appendingPathComponent(layout.name)
            let index = try Self.write(docs, to: dir, shardBytes: layout.shardBytes, cuts: layout.cuts)
            #expect(layout.shards.contains(index.shards.count), "\(layout.name): \(index.shards.count) shards")
            let stream = try [1, 4].flatMap { try Self.stream(dir, windowDocs: 16, blockWindows: $0, epochs: 3) }
            if let reference {
                #expect(Self.same(stream, reference), "\(layout.name): another order")
            } else {
                reference = stream
            }
        }
    }

    /// 590 documents: windows of 8 (the last one of 6), blocks of 3 windows (the last one of 2).
    @Test func everyDocumentOncePerEpochInShuffledBlocksAndEpochsDiffer() throws {
        let root = try TempFolder.make("blocks")
        defer { try? FileManager.default.removeItem(at: root) }
        let docs = Self.documents(590)
        _ = try Self.write(docs, to: root, shardBytes: 2_500, cuts: [3, 77])
        let canonical = Dictionary(uniqueKeysWithValues: docs.enumerated().map { ($1.id, $0) })
        let epochs = try Self.stream(root, windowDocs: 8, blockWindows: 3, epochs: 4)
        for (epoch, stream) in epochs.enumerated() {
            let numbers = stream.compactMap { canonical[$0.id] }
            #expect(numbers.sorted() == Array(0..<590), "epoch \(epoch): not every document exactly once")
            #expect(stream.map(\.tokens) == numbers.map { docs[$0].tokens }, "epoch \(epoch): tokens misplaced")
            #expect(numbers != Array(0..<590))
            // The 74 windows one after the other, each shuffled inside; a block's windows in order.
            var windows: [Int] = []
            for n in numbers where windows.last != n / 8 { windows.append(n / 8) }
            #expect(windows.sorted() == Array(0..<74), "epoch \(epoch): windows \(windows)")
            var blocks: [Int] = []
            for w in windows where blocks.last != w / 3 { blocks.append(w / 3) }
            #expect(blocks.sorted() == Array(0..<25), "epoch \(epoch): blocks \(blocks)")
            #expect(blocks != Array(0..<25), "epoch \(epoch): blocks in canonical order")
            #expect(zip(windows, windows.dropFirst()).allSatisfy { $0 / 3 != $1 / 3 || $1 == $0 + 1 })
        }
        for a in 0..<epochs.count {
            for b in (a + 1)..<epochs.count {
                #expect(epochs[a].map(\.id) != epochs[b].map(\.id), "epochs \(a) and \(b) in the same order")
            }
        }
        let otherSeed = try Self.stream(root, windowDocs: 8, blockWindows: 3, epochs: 1, seed: 5)
        #expect(!Self.same(otherSeed, [epochs[0]]))
    }

    /// A window holds only its own shards, and a block decompresses each of its shards once: an
    /// epoch decompresses every shard, plus at most one more for each block boundary.
    @Test(arguments: [1, 4])
    func onlyTheShardsOfTheCurrentWindowAreHeld(blockWindows: Int) throws {
        let root = try TempFolder.make("blocks")
        defer { try? FileManager.default.removeItem(at: root) }
        let index = try Self.write(Self.documents(400), to: root, shardBytes: 1_500)
        let counts = index.shards.map(\.samples)
        #expect(counts.count > 40)
        var starts = [0]
        for c in counts { starts.append(starts[starts.count - 1] + c) }
        func shard(of n: Int) -> Int { starts.lastIndex { $0 <= n } ?? 0 }
        let windowDocs = 6
        let spans = stride(from: 0, to: 400, by: windowDocs).map {
            shard(of: $0)...shard(of: min($0 + windowDocs, 400) - 1)
        }
        let blocks = (400 + windowDocs * blockWindows - 1) / (windowDocs * blockWindows)
        let source = try SourceDocuments(
            name: "src", directory: root, seed: 8, windowDocs: windowDocs, blockWindows: blockWindows)
        for epoch in 0..<2 {
            let before = source.shardLoads
            for position in 0..<source.count {
                _ = try source.document(epoch: epoch, position: position)
                let held = source.loadedShardIndices
                #expect(spans.contains(source.currentWindowShards))
                #expect(held.allSatisfy { source.currentWindowShards.contains($0) }, "held \(held)")
            }
            let loads = source.shardLoads - before
            #expect(loads >= counts.count && loads <= counts.count + blocks - 1, "\(loads) shard loads")
        }
    }

    /// The whole mixer, end to end: a source written in large shards and in small ones mixes the same.
    @Test func theMixerStreamIsTheSameForAnyShardSize() throws {
        let yaml = """
            name: t
            phases:
              - {name: p, budget: 60000, weights: {a: 2, b: 1}, objective: {type: causal}}
              - {name: q, budget: 30000, weights: {a: 1, b: 1}, objective: {type: causal}}
            """
        func chunks(shardBytes: Int) throws -> [MixedChunk] {
            let fixture = try MixFixture()
            try fixture.addSource("a", tokens: 70_000, docLengths: 1...700, shardBytes: shardBytes)
            try fixture.addSource("b", tokens: 50_000, docLengths: 1...700, shardBytes: shardBytes)
            let mixture = try MixtureParser.load(path: try fixture.writeMixture(yaml))
            var mixer = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory, windowDocs: 32)
            return try drain(&mixer, maxTokens: 1000)
        }
        let whole = try chunks(shardBytes: 1 << 26)
        #expect(whole.count > 80)
        #expect(try chunks(shardBytes: 3_000) == whole)
        #expect(try chunks(shardBytes: 20_000) == whole)
    }

    /// A state saved when documents were ordered by shard windows never resumes with this order.
    @Test func aStateSavedWithShardWindowsIsNotResumed() throws {
        let fixture = try MixFixture()
        try fixture.addSource("a", tokens: 20_000)
        let mixture = try MixtureParser.load(
            path: try fixture.writeMixture(
                "name: t\nphases:\n  - {name: p, budget: 10000, weights: {a: 1}, objective: {type: causal}}\n"))
        var mixer = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory)
        _ = try mixer.next(maxTokens: 500)
        let encoded = try JSONEncoder().encode(mixer.state)
        var fields = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(fields["shuffle"] as? String == "canonical-blocks-1")
        let current = try JSONDecoder().decode(MixerState.self, from: encoded)
        #expect(try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory, resumeFrom: current).phase == 0)
        // Saved states had no "shuffle" before.
        fields["shuffle"] = nil
        let earlier = try JSONDecoder().decode(
            MixerState.self, from: try JSONSerialization.data(withJSONObject: fields))
        #expect(earlier.shuffle == Mixer.shardWindowsScheme)
        let error = #expect(throws: MoeDataError.self) {
            _ = try Mixer(mixture: mixture, tokensDirectory: fixture.tokensDirectory, resumeFrom: earlier)
        }
        let text = error?.description ?? ""
        #expect(text.contains("orders documents by 'shard-windows'"), "\(text)")
    }
}

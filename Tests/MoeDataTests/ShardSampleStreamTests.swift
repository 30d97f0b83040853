import FileSupport
import Foundation
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// The exports' shard reader (`ShardSampleStream`) hands over exactly the samples `MDSDataset`
/// reads, in order, for every way a shard can be stored: uncompressed, zstd's single-thread frame
/// (decoded block by block into the pieces), and a frame whose window is larger than a piece
/// (decoded by the streaming fallback); samples larger than a piece come whole. A shard whose file
/// differs from index.json is refused before any of its samples is handed over.
@Suite struct ShardSampleStreamTests {
    static let columns = [MDSColumn("doc_id", .str), MDSColumn("tokens", .ndarray(.uint32, count: nil))]

    /// Samples of every size (one of 3 MiB, larger than a piece), tokens from a small vocabulary
    /// with repeats, so that zstd compresses them as it does real tokens.
    static func samples() -> [(id: String, tokens: [UInt32])] {
        var random = UInt64(7)
        func next(_ n: UInt64) -> UInt32 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt32((random >> 33) % n)
        }
        let phrase = (0..<500).map { _ in next(2000) }
        return (0..<1200).map { k in
            let count = k == 300 ? 800_000 : 1 + Int(next(k % 7 == 0 ? 60_000 : 600))
            let tokens = (0..<count).map { i in i % 5 == 0 ? next(32_000) : phrase[(i + k) % phrase.count] }
            return ("doc-\(k)", tokens)
        }
    }

    /// Writes the samples with zstd `level` (nil: uncompressed), in shards of `sizeLimit`.
    static func dataset(_ dir: URL, level: Int32?, sizeLimit: Int) throws -> MDSDataset {
        let writer = try MDSWriter(directory: dir, columns: columns, compressionLevel: level, sizeLimit: sizeLimit)
        for sample in samples() { try writer.write(["doc_id": .string(sample.id), "tokens": .uint32s(sample.tokens)]) }
        try writer.finish()
        return try MDSDataset(directory: dir)
    }

    /// Every sample through the stream, as (shard, number, doc_id, tokens).
    static func streamed(_ dataset: MDSDataset) throws -> [(Int, Int, String, [UInt32])] {
        var out: [(Int, Int, String, [UInt32])] = []
        var sample = SampleColumns(columns: columns)
        let stream = ShardSampleStream(dataset: dataset, shards: 0..<dataset.shardCount)
        defer { stream.close() }
        try stream.forEachSample { shard, index, bytes in
            try sample.locate(bytes, shard: "s\(shard)", index: index)
            let id = String(decoding: sample.column(0), as: UTF8.self)
            let tokens = try sample.array(1, of: .uint32)
            out.append((shard, index, id, (0..<tokens.count).map(tokens.uint32)))
            return true
        }
        return out
    }

    @Test(
        arguments: [
            ("uncompressed", nil, 4 << 20), ("zstd", 3, 4 << 20),
            ("zstd with a 4 MiB window, larger than a piece", 9, 8 << 20),
        ] as [(String, Int32?, Int)])
    func samplesAreMDSDatasets(_ label: String, _ level: Int32?, _ sizeLimit: Int) throws {
        let dir = try TestSupport.tempDir("stream")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try Self.dataset(dir, level: level, sizeLimit: sizeLimit)
        #expect(dataset.shardCount >= 3, "\(label)")
        var expected: [(Int, Int, String, [UInt32])] = []
        for s in 0..<dataset.shardCount {
            let shard = try dataset.shard(s)
            for i in 0..<shard.count {
                let values = try shard.sample(i)
                expected.append((s, i, values[0].string ?? "", values[1].uint32s ?? []))
            }
        }
        let streamed = try Self.streamed(dataset)
        #expect(streamed.count == expected.count, "\(label)")
        for (a, b) in zip(streamed, expected) where a.0 != b.0 || a.1 != b.1 || a.2 != b.2 || a.3 != b.3 {
            Issue.record("\(label): shard \(b.0) sample \(b.1) differs")
            break
        }
    }

    @Test func aChangedShardIsRefusedBeforeItsSamples() throws {
        let dir = try TestSupport.tempDir("stream-corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try Self.dataset(dir, level: 3, sizeLimit: 4 << 20)
        let file = dir.appendingPathComponent(try #require(dataset.index.shards[1].zipBasename))
        var bytes = try [UInt8](Data(contentsOf: file))
        bytes[bytes.count / 2] ^= 0x55
        try Data(bytes).write(to: file)
        var shards = Set<Int>()
        let stream = ShardSampleStream(dataset: dataset, shards: 0..<dataset.shardCount)
        defer { stream.close() }
        #expect {
            try stream.forEachSample { shard, _, _ in
                shards.insert(shard)
                return true
            }
        } throws: { "\($0)".contains("xxh64 hash mismatch") && "\($0)".contains(file.lastPathComponent) }
        #expect(shards == [0])
    }

    /// A reader that stops early (the end of a phase) leaves no thread waiting.
    @Test func stoppingEarlyEnds() throws {
        let dir = try TestSupport.tempDir("stream-stop")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = try Self.dataset(dir, level: 3, sizeLimit: 1 << 20)
        for _ in 0..<20 {
            var seen = 0
            let stream = ShardSampleStream(dataset: dataset, shards: 0..<dataset.shardCount)
            try stream.forEachSample { _, _, _ in
                seen += 1
                return seen < 10
            }
            stream.close()
            #expect(seen == 10)
        }
    }
}

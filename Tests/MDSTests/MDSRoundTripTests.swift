import FileSupport
import Foundation
import MoeTestSupport
import Testing

@testable import MDS

@Suite struct MDSRoundTripTests {
    func tempDir() throws -> URL { try TempFolder.make("mds") }

    @Test func writesAndReadsBackWithHashes() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try MDSWriter(
            directory: dir,
            columns: [
                MDSColumn("tokens", .ndarray(.uint32, count: nil)), MDSColumn("source", .str),
                MDSColumn("doc_id", .str),
            ], sizeLimit: 4096)
        var expected: [[UInt32]] = []
        for i in 0..<300 {
            let tokens = (0..<(1 + i % 97)).map { UInt32($0 * 7919 + i) }
            expected.append(tokens)
            try writer.write(["tokens": .uint32s(tokens), "source": .string("s"), "doc_id": .string("d\(i)")])
        }
        try writer.finish()
        let ds = try MDSDataset(directory: dir)
        #expect(ds.shardCount > 1)
        #expect(ds.sampleCount == 300)
        var got: [[UInt32]] = []
        for s in 0..<ds.shardCount {
            let shard = try ds.shard(s)
            for i in 0..<shard.count { got.append(try shard.sampleByName(i)["tokens"]?.uint32s ?? []) }
        }
        #expect(got == expected)
    }

    @Test func xxh64MatchesReferenceVectors() {
        // Reference values from the xxHash specification's test vectors (seed 0).
        #expect(XXH64.hex(XXH64.hash([UInt8]())) == "ef46db3751d8e999")
        #expect(XXH64.hex(XXH64.hash(Array("a".utf8))) == "d24ec4f1a98c6e5b")
        #expect(XXH64.hex(XXH64.hash(Array("abc".utf8))) == "44bc2cf5ad770999")
    }

    @Test func corruptShardIsReportedByName() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try MDSWriter(directory: dir, columns: [MDSColumn("tokens", .ndarray(.uint32, count: nil))])
        try writer.write(["tokens": .uint32s([1, 2, 3])])
        try writer.finish()
        let shard = dir.appendingPathComponent("shard.00000.mds.zstd")
        var bytes = try [UInt8](Data(contentsOf: shard))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: shard)
        let ds = try MDSDataset(directory: dir)
        #expect(throws: MDSError.self) { try ds.shard(0) }
    }

    /// A writer that writes its shards itself makes one shard buffer for all of them: the full shard
    /// is written, and gives its buffer back, before the next sample needs one. It made two (the
    /// next shard's buffer was taken at the cut, before the write), 64 MiB more of resident memory
    /// in every ingest.
    @Test func shardsWrittenInTurnShareOneBuffer() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try MDSWriter(
            directory: dir, columns: [MDSColumn("tokens", .ndarray(.uint32, count: nil))], sizeLimit: 1 << 16)
        for i in 0..<200 { try writer.write(["tokens": .uint32s((0..<1000).map { UInt32($0 + i) })]) }
        try writer.finish()
        #expect(writer.entries.count > 5)
        #expect(writer.buffers.made == 1, "\(writer.buffers.made) buffers for \(writer.entries.count) shards")
        let ds = try MDSDataset(directory: dir)
        #expect(ds.sampleCount == 200)
    }

    /// A shard cut by `append` and written by the caller before the next sample (as the build's
    /// background writer does, one shard behind) gives its buffer to that sample: two buffers in
    /// all, not one more for the sample that overflowed the cut shard.
    @Test func shardsHandedOnShareTwoBuffers() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try MDSWriter(
            directory: dir, columns: [MDSColumn("tokens", .ndarray(.uint32, count: nil))], sizeLimit: 1 << 16)
        var previous: MDSPendingShard?
        for i in 0..<200 {
            if let cut = try writer.append([.uint32s((0..<1000).map { UInt32($0 + i) })]) {
                if let previous { writer.record(try previous.write()) }  // one shard in flight
                previous = cut
            }
        }
        if let previous { writer.record(try previous.write()) }
        try writer.finish()
        #expect(writer.entries.count > 5)
        #expect(writer.buffers.made == 2, "\(writer.buffers.made) buffers for \(writer.entries.count) shards")
        #expect(try MDSDataset(directory: dir).sampleCount == 200)
    }

    /// The writer leaves room for a shard's header in front of its samples, sized from the shards
    /// before it. Samples that shrink (more of them in a shard than the room allows: the header is
    /// moved in) and grow again read back the same, in shards cut where they were.
    @Test func headersFitWhetherOrNotTheirRoomSuffices() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try MDSWriter(
            directory: dir, columns: [MDSColumn("tokens", .ndarray(.uint32, count: nil))], sizeLimit: 1 << 14)
        let lengths = [Int](repeating: 500, count: 60) + [Int](repeating: 2, count: 2_000)
            + [Int](repeating: 500, count: 60)
        let samples = lengths.enumerated().map { i, n in (0..<n).map { UInt32(i &* 31 &+ $0) } }
        for tokens in samples { try writer.write(["tokens": .uint32s(tokens)]) }
        try writer.finish()
        let ds = try MDSDataset(directory: dir)
        let perShard = ds.index.shards.map(\.samples)
        #expect(perShard.count > 8)
        #expect(perShard.max() ?? 0 > 4 * (perShard.first ?? 0), "a shard with many more samples: \(perShard)")
        var read: [[UInt32]] = []
        for s in 0..<ds.shardCount {
            let shard = try ds.shard(s)
            for i in 0..<shard.count { read.append(try shard.sample(i)[0].uint32s ?? []) }
        }
        #expect(read == samples)
    }
}

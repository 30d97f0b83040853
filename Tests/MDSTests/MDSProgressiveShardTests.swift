import FileSupport
import Foundation
import MoeTestSupport
import Testing

@testable import MDS

/// `MDSProgressiveShard`: a shard decoded in steps on one thread while another reads it gives
/// the samples of the whole shard; what does not match index.json is an error, never a hang.
@Suite struct MDSProgressiveShardTests {
    /// A dataset of `samples` documents of tokens in shards of at most `sizeLimit` bytes.
    static func dataset(samples: Int, sizeLimit: Int) throws -> (URL, [[UInt32]]) {
        let dir = try TempFolder.make("mds-progressive")
        let writer = try MDSWriter(
            directory: dir,
            columns: [MDSColumn("tokens", .ndarray(.uint32, count: nil)), MDSColumn("doc_id", .str)],
            sizeLimit: sizeLimit)
        var documents: [[UInt32]] = []
        var rng = SystemRandomNumberGenerator()
        for i in 0..<samples {
            // Random tokens: zstd cannot shrink them much, so a shard spans several pieces.
            let tokens = (0..<(50 + i % 1500)).map { _ in UInt32.random(in: 0..<60_000, using: &rng) }
            documents.append(tokens)
            try writer.write(["tokens": .uint32s(tokens), "doc_id": .string("d\(i)")])
        }
        try writer.finish()
        return (dir, documents)
    }

    /// Decodes `shard` on a thread of its own, as `ShardReadAhead` does.
    static func decodeInBackground(_ shard: MDSProgressiveShard) {
        Thread { shard.decode() }.start()
    }

    @Test func readersGetTheSamplesOfTheWholeShardWhileItIsDecoded() throws {
        let (dir, documents) = try Self.dataset(samples: 2_500, sizeLimit: 3 << 20)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ds = try MDSDataset(directory: dir)
        #expect(ds.shardCount >= 2)
        #expect((ds.index.shards[0].zipBytes ?? 0) > 2 * MDSProgressiveShard.stepInputBytes, "a shard must span steps")
        let tokens = try #require(ds.index.shards[0].columns.firstIndex { $0.name == "tokens" })
        var first = 0
        for s in 0..<ds.shardCount {
            let whole = try ds.shard(s)
            let shard = try #require(try ds.progressiveShard(s))
            Self.decodeInBackground(shard)
            // From the end first: the reader waits for the last piece, then reads the rest.
            for i in stride(from: whole.count - 1, through: 0, by: -1) {
                let values = try shard.sample(i)
                #expect(values == (try whole.sample(i)))
                #expect(values[tokens].uint32s == documents[first + i], "shard \(s) sample \(i)")
            }
            try shard.verify()
            first += whole.count
        }
        #expect(first == documents.count)
    }

    @Test func aShardWhoseRawBytesDoNotMatchIndexJSONFailsVerification() throws {
        let (dir, _) = try Self.dataset(samples: 200, sizeLimit: 1 << 22)
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = try MDSDataset(directory: dir).index.shards[0].rawHashes["xxh64"] ?? ""
        let indexURL = dir.appendingPathComponent("index.json")
        let text = try String(contentsOf: indexURL, encoding: .utf8)
        #expect(text.contains(raw))
        try text.replacingOccurrences(of: raw, with: "0123456789abcdef").write(
            to: indexURL, atomically: true, encoding: .utf8)
        let ds = try MDSDataset(directory: dir)
        let shard = try #require(try ds.progressiveShard(0))
        Self.decodeInBackground(shard)
        // The compressed bytes match, so samples are read; the end of the decoding finds the mismatch.
        _ = try shard.sample(0)
        #expect {
            try shard.verify()
        } throws: { error in
            "\(error)".contains("(raw): xxh64 hash mismatch")
        }
        #expect(throws: MDSError.self) { try ds.shard(0) }
    }

    @Test func aChangedCompressedFileIsRefusedBeforeAnySampleIsRead() throws {
        let (dir, _) = try Self.dataset(samples: 200, sizeLimit: 1 << 22)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("shard.00000.mds.zstd")
        var bytes = try [UInt8](Data(contentsOf: file))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: file)
        #expect {
            _ = try MDSDataset(directory: dir).progressiveShard(0)
        } throws: { error in
            "\(error)".contains("shard.00000.mds.zstd: xxh64 hash mismatch")
        }
        // Without hash checks, zstd data that cannot be decoded (here its magic number) is an error
        // for the reader, not a wait forever.
        bytes[0] ^= 0xFF
        try Data(bytes).write(to: file)
        let unchecked = try #require(try MDSDataset(directory: dir, verifyHashes: false).progressiveShard(0))
        Self.decodeInBackground(unchecked)
        #expect(throws: MDSError.self) {
            for i in 0..<200 { _ = try unchecked.sample(i) }
            try unchecked.verify()
        }
    }

    @Test func aStoppedDecodingWakesItsReadersWithAnError() throws {
        let (dir, _) = try Self.dataset(samples: 200, sizeLimit: 1 << 22)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shard = try #require(try MDSDataset(directory: dir).progressiveShard(0))
        shard.stop()
        Self.decodeInBackground(shard)
        #expect(throws: MDSError.self) { try shard.sample(199) }
        #expect(throws: MDSError.self) { try shard.verify() }
    }

    /// index.json's raw size says `change` bytes more (or fewer) than the shard decodes to: the
    /// decoding ends with an error naming the sizes, and its readers are woken by it.
    func decodeWithRawSize(changedBy change: Int) throws -> String {
        let (dir, _) = try Self.dataset(samples: 200, sizeLimit: 1 << 22)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rawBytes = try MDSDataset(directory: dir).index.shards[0].rawBytes
        let indexURL = dir.appendingPathComponent("index.json")
        let text = try String(contentsOf: indexURL, encoding: .utf8)
        let declared = "\"bytes\": \(rawBytes),"
        #expect(text.components(separatedBy: declared).count == 2)
        try text.replacingOccurrences(of: declared, with: "\"bytes\": \(rawBytes + change),").write(
            to: indexURL, atomically: true, encoding: .utf8)
        let shard = try #require(try MDSDataset(directory: dir).progressiveShard(0))
        Self.decodeInBackground(shard)
        do {
            try shard.verify()
        } catch {
            #expect(throws: MDSError.self) { for i in 0..<200 { _ = try shard.sample(i) } }
            return "\(error)"
        }
        Issue.record("a shard of \(rawBytes) raw bytes decoded as \(rawBytes + change)")
        return ""
    }

    @Test func aShardLongerThanIndexJSONSaysIsAnErrorNotAnOverflow() throws {
        let message = try decodeWithRawSize(changedBy: -1000)
        #expect(message.contains("shard.00000.mds.zstd"), "\(message)")
        #expect(message.contains("zstd"), "\(message)")
    }

    @Test func aShardShorterThanIndexJSONSaysIsAnError() throws {
        // The header's last offset gives it away before the decoding runs out of input.
        let message = try decodeWithRawSize(changedBy: 1000)
        #expect(message.contains("shard.00000.mds.zstd: last offset"), "\(message)")
        #expect(message.contains("!= file size"), "\(message)")
    }

    /// Shards read one after the other with one decoded ahead, as the build reads token shards,
    /// decode into two buffers in all, whatever the number of shards.
    @Test func shardsReadInTurnReuseTheirMemory() throws {
        let (dir, documents) = try Self.dataset(samples: 1_500, sizeLimit: 1 << 20)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ds = try MDSDataset(directory: dir)
        #expect(ds.shardCount >= 4)
        // Decoded on this thread, so that no decoding thread holds a shard a moment longer.
        var ahead = try #require(try ds.progressiveShard(0))
        ahead.decode()
        var read = 0
        for s in 0..<ds.shardCount {
            let current = ahead
            if s + 1 < ds.shardCount {
                ahead = try #require(try ds.progressiveShard(s + 1))
                ahead.decode()
            }
            for i in 0..<ds.index.shards[s].samples {
                #expect(try current.sample(i)[1].uint32s == documents[read], "shard \(s) sample \(i)")
                read += 1
            }
            try current.verify()
        }
        #expect(read == documents.count)
        #expect(ds.decodeBuffers.made == 2, "\(ds.decodeBuffers.made) buffers for \(ds.shardCount) shards")
    }
}

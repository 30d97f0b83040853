import CZstd
import FileSupport
import Foundation
import MoeTestSupport
import Testing

@testable import MDS

/// zstd's multi-threaded frames, which a build's last packed shard uses: the bytes must not depend
/// on the worker count, or `--jobs` would change the rows' files.
@Suite struct ZstdWorkersTests {
    /// 24 MiB of token-like bytes that compress about as packed rows do: several of zstd's jobs.
    static let input: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var out: [UInt8] = []
        out.reserveCapacity(24 << 20)
        while out.count < 24 << 20 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let token = UInt32(truncatingIfNeeded: state >> 33) % 4000
            // Runs of zeros and repeats, as padding and segment columns give.
            let run = Int(state >> 60) + 1
            for _ in 0..<run { withUnsafeBytes(of: token.littleEndian) { out.append(contentsOf: $0) } }
            if state & 0xF == 0 { out.append(contentsOf: repeatElement(0, count: 512)) }
        }
        return out
    }()

    static func compress(workers: Int) throws -> [UInt8] {
        try input.withUnsafeBytes { try Zstd.compress($0, level: 3, workers: workers) }
    }

    @Test func framesAreTheSameForOneTwoAndFiveWorkers() throws {
        let one = try ZstdWorkersTests.compress(workers: 1)
        for workers in [2, 5] {
            let other = try ZstdWorkersTests.compress(workers: workers)
            #expect(other == one, "\(workers) workers: \(other.count) bytes, 1 worker: \(one.count)")
        }
        // One frame that states its size, as readers that size their buffer from it need
        // (mosaicml-streaming's zstd.decompress).
        let stated = one.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        #expect(stated == UInt64(ZstdWorkersTests.input.count))
        let back = try one.withUnsafeBytes { try Zstd.decompress($0, limit: ZstdWorkersTests.input.count) }
        #expect(back == ZstdWorkersTests.input)
    }

    /// Only the last shard of a writer takes `lastShardCompressionWorkers`; the dataset reads back
    /// the same and its files are the same for 1 and 3 workers.
    @Test func onlyTheLastShardTakesTheWorkersAndAnyCountGivesTheSameFiles() throws {
        var trees: [Int: [String: Data]] = [:]
        for workers in [0, 1, 3] {
            let dir = try TempFolder.make("zstd-workers")
            defer { try? FileManager.default.removeItem(at: dir) }
            let writer = try MDSWriter(
                directory: dir, columns: [MDSColumn("bytes", .bytes)], sizeLimit: 6 << 20)
            writer.lastShardCompressionWorkers = workers
            let input = ZstdWorkersTests.input
            for start in stride(from: 0, to: input.count, by: 1 << 20) {
                try writer.write(["bytes": .bytes(Array(input[start..<min(start + (1 << 20), input.count)]))])
            }
            try writer.finish()
            let ds = try MDSDataset(directory: dir)
            var back: [UInt8] = []
            for s in 0..<ds.shardCount {
                let shard = try ds.shard(s)
                for i in 0..<shard.count {
                    if case .bytes(let b) = try shard.sampleByName(i)["bytes"] { back += b }
                }
            }
            #expect(back == ZstdWorkersTests.input, "\(workers) workers")
            var tree: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".zstd") {
                tree[name] = try Data(contentsOf: dir.appendingPathComponent(name))
            }
            trees[workers] = tree
        }
        let names = (trees[0] ?? [:]).keys.sorted()
        #expect(names.count == 5, "shards: \(names)")
        #expect(trees[1] == trees[3])
        for name in names.dropLast() { #expect(trees[0]?[name] == trees[1]?[name], "\(name) changed") }
    }
}

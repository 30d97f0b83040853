import FileSupport
import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MDS

/// Inputs the libFuzzer harnesses of bench/fuzz found (or that reach the same defect the way a
/// user would): each must be refused with an error that says why, never crash or exhaust memory.
@Suite struct MDSFuzzRegressionTests {
    /// A JSON text of `depth` nested arrays.
    static func nested(_ depth: Int) -> Data {
        Data(String(repeating: "[", count: depth).utf8) + Data(String(repeating: "]", count: depth).utf8)
    }

    // bench/fuzz json/jsonl: parseValue recursed once per `[`, so ~75,000 of them (a 75 KB JSONL
    // line) overflowed the stack and `moe-data ingest` died with SIGSEGV.
    @Test func deepNestingIsAnErrorNotAStackOverflow() throws {
        #expect(throws: Never.self) { try JSONValue.parse(Self.nested(JSONParser.maxDepth)) }
        for depth in [JSONParser.maxDepth + 1, 200_000] {
            do {
                _ = try JSONValue.parse(Self.nested(depth))
                Issue.record("depth \(depth) parsed")
            } catch let error as JSONSyntaxError {
                #expect(error.reason == "nesting deeper than 512 levels", "\(error)")
                #expect(error.offset == JSONParser.maxDepth, "the offset names the first bracket too many")
            }
        }
        // Objects count too, and skipValue (used for fields a JSONL reader does not keep) as well.
        let objects = String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(objects.utf8)) }
        Self.nested(100_000).withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            #expect(throws: JSONSyntaxError.self) { try parser.skipValue() }
        }
    }

    /// An MDS folder whose one shard is `zip`, with an index.json that is consistent with it
    /// (sizes and xxh64 right), as someone crafting a hostile dataset would write it.
    static func dataset(zip: [UInt8], rawBytes: Int) throws -> URL {
        let dir = try TempFolder.make("mds-fuzz")
        try Data(zip).write(to: dir.appendingPathComponent("shard.00000.mds.zstd"))
        let entry = MDSShardEntry(
            columns: [MDSColumn("data", .bytes)], compression: "zstd", hashes: ["xxh64"], sizeLimit: 1 << 26,
            samples: 1, rawBasename: "shard.00000.mds", rawBytes: rawBytes, rawHashes: [:],
            zipBasename: "shard.00000.mds.zstd", zipBytes: zip.count, zipHashes: ["xxh64": XXH64.hex(XXH64.hash(zip))])
        try MDSIndex(shards: [entry]).write(to: dir)
        return dir
    }

    // bench/fuzz zstd: a 45-byte frame whose header claims 2.9 GB made Zstd.decompress reserve
    // that much before decoding a byte (libFuzzer: out-of-memory (malloc(2896938515))). Outside
    // ASan the reservation is only virtual memory, so this holds the refusal; the next test is
    // the one a build without the fix fails.
    @Test func zstdHeaderClaimingGigabytesIsRefusedWithoutAllocatingThem() throws {
        let crash: [UInt8] = [
            0x28, 0xB5, 0x2F, 0xFD, 0xB6, 0xAB, 0x63, 0xF3, 0xC5, 0xAB, 0xAC, 0x7F, 0x94, 0xC9, 0x8F, 0x2F,
            0x21, 0x94, 0x19, 0x5A, 0xDB, 0xA7, 0xB5, 0xE1, 0x89, 0x0B, 0x26, 0x05, 0x29, 0xBF, 0x41, 0x6E,
            0x8D, 0xE6, 0xF0, 0x13, 0x01, 0x00, 0x66, 0x9B, 0x4B, 0xAA, 0xA9, 0xBA, 0xB5,
        ]
        let dir = try Self.dataset(zip: crash, rawBytes: 64)
        defer { TempFolder.remove(dir) }
        let ds = try MDSDataset(directory: dir)
        #expect(throws: MDSError.self) { try ds.shard(0) }
    }

    // The same defect the slow way: a valid frame of 64 MiB of zeros (a few KB compressed) under
    // an index.json that says 1000 raw bytes. The reader stopped only after decoding all of it
    // (a real bomb has no limit); now it stops at the size index.json gives.
    @Test func zstdBombStopsAtTheRawSizeOfIndexJSON() throws {
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        let zip = try zeros.withUnsafeBytes { try Zstd.compress($0, level: 3) }
        #expect(zip.count < 64 << 10)
        let dir = try Self.dataset(zip: zip, rawBytes: 1000)
        defer { TempFolder.remove(dir) }
        let ds = try MDSDataset(directory: dir)
        do {
            _ = try ds.shard(0)
            Issue.record("a shard 67,000 times its declared size was read")
        } catch {
            let message = "\(error)"
            #expect(message.contains("shard.00000.mds.zstd"), "\(message)")
            #expect(message.contains("decompresses to more than the expected 1000 bytes"), "\(message)")
        }
    }

    /// A one-sample raw shard whose sample is `body`, laid out as MDS does (count, offsets, data).
    static func shard(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(UInt32(1))
        out.appendLE(UInt32(12))
        out.appendLE(UInt32(12 + body.count))
        return out + body
    }

    // Integer traps in the shard reader, reached by `stats`, `inspect` or `train` on a hostile
    // dataset: an ndarray whose 64-bit length is 2^63 or more (Int(UInt64) trapped), one whose
    // length times the element width overflows, and a length field cut off by the sample's end
    // (read past the shard buffer).
    @Test func ndarrayLengthsThatDoNotFitAreErrorsNotTraps() throws {
        let column = MDSColumn("tokens", .ndarray(.uint32, count: nil))
        for (length, what) in [
            (UInt64.max - 15, "claims 18446744073709551600 elements"),
            (UInt64(1) << 62 | 1, "has 0 bytes for 4611686018427387905 × uint32"),
        ] {
            var body: [UInt8] = []
            body.appendLE(UInt32(9))  // the variable-size column's size
            body.append(4 | 3)  // one dimension, 64-bit length
            body.appendLE(length)
            let shard = try MDSShard(bytes: Self.shard(body), columns: [column], name: "s.mds")
            do {
                _ = try shard.sample(0)
                Issue.record("length \(length) was accepted")
            } catch {
                #expect("\(error)".contains("s.mds: column 'tokens' \(what)"), "\(error)")
            }
        }
        var cut: [UInt8] = []
        cut.appendLE(UInt32(2))
        cut += [4 | 3, 7]  // a 64-bit length of which one byte is there
        let shard = try MDSShard(bytes: Self.shard(cut), columns: [column], name: "s.mds")
        #expect(throws: MDSError.self) { try shard.sample(0) }
    }

    // A static shape whose byte size overflows (`ndarray:uint64:2^61`) trapped in fixedSize; and
    // sample counts past 32 bits let MDSDataset.sampleCount overflow when summed over shards.
    @Test func indexValuesThatCannotBeRightAreRefused() throws {
        #expect(throws: MDSError.self) { try MDSEncoding(name: "ndarray:uint64:2305843009213693952") }
        #expect(throws: Never.self) { try MDSEncoding(name: "ndarray:uint64:2048") }
        let dir = try Self.dataset(zip: [0], rawBytes: 1)
        defer { TempFolder.remove(dir) }
        let index = dir.appendingPathComponent("index.json")
        let text = try String(contentsOf: index, encoding: .utf8)
        try text.replacingOccurrences(of: "\"samples\": 1", with: "\"samples\": 4611686018427387904")
            .write(to: index, atomically: true, encoding: .utf8)
        #expect(text.contains("\"samples\": 1"))
        do {
            _ = try MDSDataset(directory: dir)
            Issue.record("2^62 samples in one shard were accepted")
        } catch {
            #expect("\(error)".contains("4611686018427387904 samples"), "\(error)")
        }
    }
}

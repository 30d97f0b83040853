import CZstd
import FileSupport
import Foundation
import MDS
import MoeTestSupport
import Testing
@testable import MoeData

/// `ZstdFrames` on files written by the real `zstd` tool and by libzstd, on frames made byte by
/// byte (RLE and raw blocks, checksums, skippable frames), and on every truncation of a file.
@Suite struct ZstdFramesTests {
    /// Compresses `data` with the `zstd` tool; from stdin the frame records no content size.
    static func zstdTool(_ data: Data, _ args: [String] = []) throws -> Data {
        let r = try TestSupport.run(TestSupport.which("zstd"), ["-q", "-c"] + args, stdin: data)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdoutData
    }

    /// Decompresses with the `zstd` tool (the reference for "this file is valid").
    static func unzstdTool(_ path: String) throws -> Data {
        let r = try TestSupport.run(TestSupport.which("zstd"), ["-q", "-d", "-c", path])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdoutData
    }

    /// libzstd's own frame walk (ZSTD_findFrameCompressedSize): the sizes of the frames, or nil
    /// when the bytes are not a sequence of whole frames.
    static func libzstdFrameSizes(_ bytes: [UInt8]) -> [Int]? {
        var sizes: [Int] = []
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { all in
                ZSTD_findFrameCompressedSize(all.baseAddress.map { $0 + offset }, bytes.count - offset)
            }
            if ZSTD_isError(n) != 0 { return nil }
            sizes.append(n)
            offset += n
        }
        return sizes
    }

    static func compressWithLibzstd(_ bytes: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try Zstd.compress($0, level: level) }
    }

    /// A skippable frame (magic 0x184D2A50 + variant, then a 4-byte size and the payload).
    static func skippableFrame(variant: UInt8, payload: [UInt8]) -> [UInt8] {
        let size = UInt32(payload.count)
        return [0x50 + variant, 0x2A, 0x4D, 0x18] + withUnsafeBytes(of: size.littleEndian) { Array($0) } + payload
    }

    /// Text that compresses well but not to nothing: words drawn from a seeded generator.
    static func text(bytes: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        let words = ["moe", "expert", "router", "token", "shard", "frame", "block", "line", "\n", "{\"text\": "]
        var out: [UInt8] = []
        while out.count < bytes { out += Array((words.randomElement(using: &rng) ?? "").utf8) + [0x20] }
        return Array(out.prefix(bytes))
    }

    @Test func aFileFromTheZstdToolIsOneFrameWithItsContentSize() throws {
        let dir = try TestSupport.tempDir("zstdframes")
        defer { TempFolder.remove(dir) }
        let plain = dir.appendingPathComponent("a.jsonl")
        let content = Self.text(bytes: 400_000, seed: 1)  // several 128 KiB blocks
        try Data(content).write(to: plain)
        let r = try TestSupport.run(TestSupport.which("zstd"), ["-q", "-5", plain.path])
        #expect(r.status == 0, "\(r.stderr)")
        let path = plain.path + ".zst"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let frames = try ZstdFrames.scan(path: path)
        #expect(frames == [ZstdFrame(offset: 0, compressedSize: size, decompressedSize: content.count,
                                     isSkippable: false)])
    }

    @Test func concatenatedFramesAreFoundWhereLibzstdFindsThem() throws {
        let dir = try TestSupport.tempDir("zstdframes")
        defer { TempFolder.remove(dir) }
        let parts: [(bytes: [UInt8], content: [UInt8], known: Bool, skippable: Bool)] = try {
            let a = Self.text(bytes: 300_000, seed: 2), b = Self.text(bytes: 5_000, seed: 3)
            let c = Self.text(bytes: 200_000, seed: 4), d = Self.text(bytes: 70, seed: 5)
            let skip = Self.skippableFrame(variant: 0xE, payload: Array("seek table".utf8))
            return [
                (Array(try Self.zstdTool(Data(a), ["-19"])), a, false, false),              // stdin: no size
                (try Self.compressWithLibzstd(b), b, true, false),                           // libzstd, size known
                (skip, [], true, true),
                (Array(try Self.zstdTool(Data(c), ["--no-check", "-1"])), c, false, false),
                (try Self.compressWithLibzstd([]), [], true, false),                        // an empty frame
                (Array(try Self.zstdTool(Data(d))), d, false, false),
            ]
        }()
        let file = dir.appendingPathComponent("multi.jsonl.zst")
        let bytes = parts.flatMap(\.bytes)
        try Data(bytes).write(to: file)
        // The real tool reads the file as one stream: it is valid, skippable frame included.
        #expect(try Self.unzstdTool(file.path) == Data(parts.flatMap(\.content)))

        let frames = try ZstdFrames.scan(path: file.path)
        #expect(frames.map(\.compressedSize) == Self.libzstdFrameSizes(bytes))
        #expect(frames.map(\.compressedSize) == parts.map(\.bytes.count))
        #expect(frames.map(\.offset) == parts.indices.map { i in parts[..<i].reduce(0) { $0 + $1.bytes.count } })
        #expect(frames.map(\.isSkippable) == parts.map(\.skippable))
        #expect(frames.map(\.decompressedSize) == parts.map { $0.known ? $0.content.count : nil })
        #expect(frames.last?.end == bytes.count)
    }

    /// A frame written byte by byte, so each block type is known to be there: an RLE block (one
    /// byte on disk for 200 decoded), a raw block, and the 4-byte checksum.
    @Test func rleAndRawBlocksAndTheChecksumAreWalked() throws {
        let dir = try TestSupport.tempDir("zstdframes")
        defer { TempFolder.remove(dir) }
        let content = [UInt8](repeating: UInt8(ascii: "x"), count: 200) + Array("hello\n".utf8)
        let checksum = UInt32(truncatingIfNeeded: XXH64.hash(content))
        // Magic; descriptor 0x24 = single segment, checksum, 1-byte content size; size 206.
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x24, UInt8(content.count)]
        frame += [0x42, 0x06, 0x00, UInt8(ascii: "x")]  // (200 << 3) | RLE << 1, not last
        frame += [0x31, 0x00, 0x00] + Array("hello\n".utf8)  // (6 << 3) | raw << 1 | last
        frame += withUnsafeBytes(of: checksum.littleEndian) { Array($0) }
        let file = dir.appendingPathComponent("blocks.zst")
        try Data(frame).write(to: file)
        #expect(try Self.unzstdTool(file.path) == Data(content))
        #expect(try ZstdFrames.scan(path: file.path)
            == [ZstdFrame(offset: 0, compressedSize: frame.count, decompressedSize: content.count, isSkippable: false)])

        // libzstd's own choices: a run of one byte (RLE blocks) and random bytes (raw blocks).
        var rng = SeededGenerator(seed: 7)
        let random = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for content in [[UInt8](repeating: 0x61, count: 1_000_000), random] {
            let bytes = try Self.compressWithLibzstd(content)
            try Data(bytes).write(to: file)
            #expect(try ZstdFrames.scan(path: file.path)
                == [ZstdFrame(offset: 0, compressedSize: bytes.count, decompressedSize: content.count,
                              isSkippable: false)])
        }
    }

    /// Cut a multi-frame file at every length: where libzstd sees whole frames the walk returns
    /// them, everywhere else it fails naming the file and the byte where the file ends.
    @Test func everyTruncationIsFoundAndNamed() throws {
        let dir = try TestSupport.tempDir("zstdframes")
        defer { TempFolder.remove(dir) }
        var bytes = Array(try Self.zstdTool(Data(Self.text(bytes: 300_000, seed: 8)), ["-19"]))
        bytes += try Self.compressWithLibzstd(Self.text(bytes: 2_000, seed: 9))
        bytes += Self.skippableFrame(variant: 0, payload: [1, 2, 3])
        bytes += Array(try Self.zstdTool(Data(Self.text(bytes: 1_000, seed: 10))))
        let file = dir.appendingPathComponent("cut.zst")
        try Data(bytes).write(to: file)
        let whole = try ZstdFrames.scan(path: file.path)
        #expect(whole.count == 4)
        var failures = 0
        for length in stride(from: bytes.count - 1, through: 1, by: -1) {
            #expect(truncate(file.path, off_t(length)) == 0)
            let libzstd = Self.libzstdFrameSizes(Array(bytes[..<length]))
            do {
                let frames = try ZstdFrames.scan(path: file.path)
                #expect(libzstd == frames.map(\.compressedSize), "length \(length)")
                #expect(Array(whole.prefix(frames.count)) == frames)
            } catch {
                failures += 1
                #expect(libzstd == nil, "length \(length): \(error)")
                let message = "\(error)"
                #expect(message.hasPrefix(file.path + ": truncated zstd file"), "\(message)")
                #expect(message.contains("at byte \(length)"), "\(message)")
            }
        }
        #expect(failures == bytes.count - 1 - (whole.count - 1))
    }

    @Test func bytesThatAreNotFramesAreNamedWithTheirOffset() throws {
        let dir = try TestSupport.tempDir("zstdframes")
        defer { TempFolder.remove(dir) }
        let file = dir.appendingPathComponent("bad.zst")
        func failure(_ bytes: [UInt8]) throws -> String {
            try Data(bytes).write(to: file)
            do {
                let frames = try ZstdFrames.scan(path: file.path)
                return "no error: \(frames)"
            } catch {
                return "\(error)"
            }
        }
        let good = try Self.compressWithLibzstd(Self.text(bytes: 1_000, seed: 11))
        #expect(try failure(Array("{\"text\": \"not zstd\"}\n".utf8))
            .hasPrefix("\(file.path): not a zstd frame at byte 0"))
        #expect(try failure(good + Array("trailing garbage".utf8))
            .hasPrefix("\(file.path): not a zstd frame at byte \(good.count)"))
        // Descriptor 0x20 (single segment, 1-byte size 10), then a block of the reserved type 3.
        let reserved: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x20, 10, 0x07, 0x00, 0x00]
        #expect(try failure(good + reserved) == "\(file.path): corrupt zstd data: reserved block type at byte "
            + "\(good.count + 6) (frame at byte \(good.count))")
        // A raw block of 20 bytes in a frame whose window (its content size) is 10 bytes.
        let oversized: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x20, 10, 0xA1, 0x00, 0x00]
            + [UInt8](repeating: 0x41, count: 20)
        #expect(try failure(oversized).contains("a block of 20 bytes at byte 6 exceeds its frame's maximum block size"))
        try Data().write(to: file)
        #expect(try ZstdFrames.scan(path: file.path) == [])
        #expect(throws: MoeDataError.self) { try ZstdFrames.scan(path: dir.appendingPathComponent("missing.zst").path) }
    }
}

/// Test data from a seeded generator (the build-refusal fixtures' SplitMix64), the same on every run.
typealias SeededGenerator = BuildRefusalFixtures.Generator

extension BuildRefusalFixtures.Generator: RandomNumberGenerator {
    init(seed: UInt64) { self.init(state: seed) }
}

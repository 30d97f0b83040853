import Foundation
import MDS
import MoeTestSupport
import Testing
@testable import MoeData

/// `IngestPartition` and `PieceByteSource` on real files: plain JSONL of every awkward shape, a
/// zstd file whose frames cut lines anywhere, whole files (gzip, single-frame zstd, text).
/// Every line must land in exactly one task, and reading the tasks in order must read the input
/// in the order a one-task ingest reads it, line numbers and offsets included.
@Suite struct IngestPartitionTests {
    /// One line as an ingest sees it: where it is in the canonical order, and its bytes.
    struct Line: Equatable, CustomStringConvertible {
        var source: Int, file: Int, number: Int, offset: Int
        var text: [UInt8]
        var description: String { "source \(source) file \(file) line \(number) at \(offset) (\(text.count) bytes)" }
    }

    struct Corpus {
        var dir: URL
        var sources: [IngestPartition.Source]
        var manifest: String
    }

    /// `count` lines of random lengths (some empty, one with `\r\n`), the lines at `long` of
    /// `longLength` bytes; joined by `\n`, with a final `\n` when `finalNewline`.
    static func lines(count: Int, seed: UInt64, long: Set<Int> = [], longLength: Int = 0,
                      finalNewline: Bool) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        var out: [UInt8] = []
        for i in 0..<count {
            let length = long.contains(i) ? longLength : Int.random(in: 0...400, using: &rng)
            var line = Array("L\(i) ".utf8)
            if length == 0 || i % 97 == 5 { line = [] }
            while line.count < length { line.append(UInt8.random(in: 0x61...0x7A, using: &rng)) }
            if i % 50 == 7 { line.append(0x0D) }
            out += line
            if i < count - 1 || finalNewline { out.append(0x0A) }
        }
        return out
    }

    /// A multi-frame zstd file of `content`, its frames cut at `cuts` (decoded offsets, anywhere in
    /// a line), a skippable frame first and an empty frame among them; libzstd and the `zstd` tool
    /// take turns, so some frames record their size and some do not.
    static func multiFrame(_ content: [UInt8], cuts: [Int]) throws -> [UInt8] {
        var bytes = ZstdFramesTests.skippableFrame(variant: 3, payload: Array("index".utf8))
        let bounds = [0] + cuts + [content.count]
        for (i, (low, high)) in zip(bounds, bounds.dropFirst()).enumerated() {
            let chunk = Array(content[low..<high])
            bytes += i % 2 == 0 ? try ZstdFramesTests.compressWithLibzstd(chunk)
                : Array(try ZstdFramesTests.zstdTool(Data(chunk)))
            if i == 2 { bytes += try ZstdFramesTests.compressWithLibzstd([]) }
        }
        return bytes
    }

    static func makeCorpus() throws -> Corpus {
        let dir = try TestSupport.tempDir("partition")
        let fm = FileManager.default
        for folder in ["web", "zst", "docs"] {
            try fm.createDirectory(at: dir.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        func write(_ name: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: dir.appendingPathComponent(name))
        }
        try write("web/a-tiny.jsonl", Array("{\"text\": \"a\"}\n{\"text\": \"b\"}\n".utf8))
        try write("web/b-empty.jsonl", [])
        // Lines of random lengths, three longer than a share at 7 tasks, no final newline.
        try write("web/c-huge.jsonl", lines(count: 1_500, seed: 21, long: [10, 700, 701], longLength: 100_000,
                                           finalNewline: false))
        try write("web/d-noeol.jsonl", Array("p\nq\nr".utf8))
        try write("web/e-blank.jsonl", Array("\n\n\n".utf8))
        let zstContent = lines(count: 600, seed: 22, long: [300], longLength: 40_000, finalNewline: true)
        // Cuts anywhere; the one after the first line break falls exactly on a line start.
        let lineStart = (zstContent.firstIndex(of: 0x0A) ?? 0) + 1
        let cuts = [lineStart, 9_000, 25_001, 47_000, 52_345, 53_000, 90_000, 110_000].filter { $0 < zstContent.count }
        try write("zst/f-multi.jsonl.zst", try multiFrame(zstContent, cuts: cuts))
        try write("zst/g-single.jsonl.zst",
                  Array(try ZstdFramesTests.zstdTool(Data(lines(count: 200, seed: 23, finalNewline: true)))))
        try write("zst/h-small.jsonl", lines(count: 300, seed: 24, finalNewline: false))
        let gz = try TestSupport.run(TestSupport.which("gzip"), [dir.appendingPathComponent("zst/h-small.jsonl").path])
        #expect(gz.status == 0, "\(gz.stderr)")
        try write("zst/i-empty.jsonl.zst", [])
        try write("docs/j.txt", lines(count: 100, seed: 25, finalNewline: true))
        try write("docs/k.txt", lines(count: 3, seed: 26, finalNewline: false))
        let manifest = dir.appendingPathComponent("manifest.yaml").path
        try """
        name: partition
        output: out
        tokenizer: {model: m.model}
        sources:
          - {name: web, format: jsonl, paths: [web], domain: web}
          - {name: zst, format: jsonl, paths: [zst], domain: web}
          - {name: docs, format: text, paths: [docs], domain: books}
        """.write(toFile: manifest, atomically: true, encoding: .utf8)
        let sources = try ["web", "zst", "docs"].map { folder in
            let names = try fm.contentsOfDirectory(atPath: dir.appendingPathComponent(folder).path).sorted()
            return IngestPartition.Source(name: folder, files: try names.map { name in
                let path = dir.appendingPathComponent(folder).appendingPathComponent(name).standardizedFileURL.path
                let size = try #require(try fm.attributesOfItem(atPath: path)[.size] as? Int)
                return IngestPartition.File(path: path, size: size,
                                            kind: .of(path: path, format: folder == "docs" ? .text : .jsonl))
            })
        }
        return Corpus(dir: dir, sources: sources, manifest: manifest)
    }

    /// The lines of a byte stream, numbered and placed after `prefix`, read by the ingest's LineReader.
    static func readLines(_ source: any ByteSource, source s: Int, file f: Int,
                          after prefix: PieceByteSource.Prefix) throws -> [Line] {
        var reader = LineReader(source: source, maxLineBytes: 1 << 30, chunkSize: 1_000)
        var out: [Line] = []
        while let line = try reader.next() {
            guard case .text(let range, let number, let offset) = line else { continue }
            out.append(Line(source: s, file: f, number: prefix.lines + number, offset: prefix.bytes + offset,
                            text: reader.withBytes(range) { Array($0) }))
        }
        return out
    }

    /// Every byte of a stream, read in odd-sized chunks.
    static func drain(_ source: any ByteSource) throws -> [UInt8] {
        var source = source
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 777)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += chunk[0..<n]
        }
    }

    /// The input as a one-task ingest reads it: every file whole, in canonical order.
    static func reference(_ sources: [IngestPartition.Source]) throws -> (lines: [Line], decoded: [[[UInt8]]]) {
        var lines: [Line] = []
        var decoded: [[[UInt8]]] = []
        for (s, source) in sources.enumerated() {
            decoded.append([])
            for (f, file) in source.files.enumerated() {
                lines += try readLines(try openByteSource(path: file.path), source: s, file: f,
                                       after: .init(lines: 0, bytes: 0))
                decoded[s].append(try drain(try openByteSource(path: file.path)))
            }
        }
        return (lines, decoded)
    }

    /// Where two line lists first differ, or nil when they are equal (a short message, not both lists).
    static func difference(_ a: [Line], _ b: [Line]) -> String? {
        if a == b { return nil }
        guard let i = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) else {
            return "counts \(a.count) and \(b.count)"
        }
        return "at \(i): \(a[i]) vs \(b[i])"
    }

    @Test func everyLineLandsInExactlyOneTaskInCanonicalOrder() throws {
        let corpus = try Self.makeCorpus()
        defer { TempFolder.remove(corpus.dir) }
        let (expected, decoded) = try Self.reference(corpus.sources)
        #expect(expected.contains { $0.text.count >= 70_000 })
        for taskCount in 1...7 {
            let plan = try IngestPartition(sources: corpus.sources, taskCount: taskCount)
            var lines: [Line] = []
            var bytes = corpus.sources.map { $0.files.map { _ in [UInt8]() } }
            for piece in plan.tasks.joined() {
                let file = plan.file(of: piece)
                let prefix = try PieceByteSource.prefix(of: piece, in: file)
                lines += try Self.readLines(try PieceByteSource(piece: piece, file: file), source: piece.source,
                                            file: piece.file, after: prefix)
                let owned = try Self.drain(try PieceByteSource(piece: piece, file: file))
                #expect(prefix.bytes == bytes[piece.source][piece.file].count, "\(taskCount) tasks, \(piece)")
                bytes[piece.source][piece.file] += owned
            }
            let difference = Self.difference(lines, expected)
            #expect(difference == nil, "\(taskCount) tasks")
            #expect(bytes.map { $0.map(\.count) } == decoded.map { $0.map(\.count) }, "\(taskCount) tasks")
            let same = bytes == decoded  // a Bool: a failure must not print megabytes
            #expect(same, "\(taskCount) tasks: the owned bytes do not add up to the files")
        }
    }

    /// Pieces cut at every allowed place of a file (every byte of the small JSONL files, every
    /// 997th byte of the large one, every frame of the zstd file: a skippable frame first, an empty
    /// frame, a frame that starts exactly at a line start) still own each line once, in order.
    @Test func cuttingAtEveryAllowedPlaceOwnsEachLineOnce() throws {
        let corpus = try Self.makeCorpus()
        defer { TempFolder.remove(corpus.dir) }
        var checked = 0
        for (s, source) in corpus.sources.enumerated() {
            for (f, file) in source.files.enumerated() {
                let bounds: [Int]
                switch file.kind {
                case .whole, .rowGroups: continue
                case .lines: bounds = Array(stride(from: 0, to: file.size, by: file.size > 1_000 ? 997 : 1))
                case .frames(let starts): bounds = starts
                }
                let expected = try Self.readLines(try openByteSource(path: file.path), source: s, file: f,
                                                  after: .init(lines: 0, bytes: 0))
                var lines: [Line] = []
                for (low, high) in zip(bounds, bounds.dropFirst() + [file.size]) {
                    let piece = IngestPartition.Piece(source: s, file: f, bytes: low..<high,
                                                      isFileEnd: high == file.size)
                    lines += try Self.readLines(try PieceByteSource(piece: piece, file: file), source: s, file: f,
                                                after: try PieceByteSource.prefix(of: piece, in: file))
                }
                let difference = Self.difference(lines, expected)
                #expect(difference == nil, "\(file.path)")
                checked += 1
            }
        }
        #expect(checked == 6)
    }

    /// Pieces of one file follow each other and cover it exactly; cuts fall only where the kind allows.
    @Test func piecesCoverEachFileAndCutOnlyWhereAllowed() throws {
        let corpus = try Self.makeCorpus()
        defer { TempFolder.remove(corpus.dir) }
        let kinds = corpus.sources.flatMap { $0.files.map(\.kind) }
        #expect(kinds.filter { $0 == .lines }.count == 5)
        #expect(kinds.contains { if case .frames(let s) = $0 { return s.count == 11 } else { return false } })
        for taskCount in 1...7 {
            let plan = try IngestPartition(sources: corpus.sources, taskCount: taskCount)
            #expect(plan.tasks.count == taskCount)
            let pieces = Array(plan.tasks.joined())
            for (s, source) in corpus.sources.enumerated() {
                for (f, file) in source.files.enumerated() {
                    let mine = pieces.filter { $0.source == s && $0.file == f }
                    #expect(!mine.isEmpty)
                    #expect(mine.first?.bytes.lowerBound == 0 && mine.last?.bytes.upperBound == file.size)
                    #expect(zip(mine, mine.dropFirst()).allSatisfy { $0.bytes.upperBound == $1.bytes.lowerBound })
                    #expect(mine.map(\.isFileEnd) == mine.indices.map { $0 == mine.count - 1 })
                    #expect(mine.allSatisfy { !$0.bytes.isEmpty } || (file.size == 0 && mine.count == 1))
                    switch file.kind {
                    case .whole: #expect(mine.count == 1)
                    case .frames(let starts), .rowGroups(let starts):
                        #expect(mine.allSatisfy { starts.contains($0.bytes.lowerBound) })
                    case .lines: break
                    }
                }
            }
            // Task order is canonical order: (source, file, offset) never goes back.
            let keys = pieces.map { [$0.source, $0.file, $0.bytes.lowerBound] }
            #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })
        }
    }

    /// Each task's bytes are within one uncuttable stretch (a whole file, a frame) of W/N; over
    /// plain JSONL alone, within one byte on disk and within one line of owned bytes.
    @Test func tasksAreBalancedByBytes() throws {
        let corpus = try Self.makeCorpus()
        defer { TempFolder.remove(corpus.dir) }
        let files = corpus.sources.flatMap(\.files)
        let widest = files.map { file -> Int in
            switch file.kind {
            case .lines: return 0
            case .whole: return file.size
            case .frames(let starts), .rowGroups(let starts):
                return zip(starts, starts.dropFirst() + [file.size]).map { $1 - $0 }.max() ?? 0
            }
        }.max() ?? 0
        let huge = try #require(files.first { $0.path.hasSuffix("c-huge.jsonl") })
        let content = try Self.drain(try openByteSource(path: huge.path))
        let longest = content.split(separator: 0x0A, omittingEmptySubsequences: false).map { $0.count + 1 }.max() ?? 0
        for taskCount in 1...7 {
            let plan = try IngestPartition(sources: corpus.sources, taskCount: taskCount)
            let share = Double(plan.totalBytes) / Double(taskCount)
            #expect(plan.totalBytes == files.reduce(0) { $0 + $1.size })
            for task in 0..<taskCount {
                #expect(abs(Double(plan.bytes(ofTask: task)) - share) <= Double(widest + 1),
                        "task \(task) of \(taskCount)")
            }
            let alone = try IngestPartition(sources: [.init(name: "web", files: [huge])], taskCount: taskCount)
            let aloneShare = Double(huge.size) / Double(taskCount)
            for (task, pieces) in alone.tasks.enumerated() {
                #expect(abs(Double(alone.bytes(ofTask: task)) - aloneShare) <= 1)
                #expect(pieces.count == 1)
                let owned = try pieces.reduce(0) { $0 + (try Self.drain(PieceByteSource(piece: $1, file: huge))).count }
                #expect(abs(Double(owned) - aloneShare) <= Double(longest + 1), "task \(task) of \(taskCount)")
            }
        }
        #expect(Double(longest) > Double(huge.size) / 7, "a line longer than a share")
    }

    @Test func thePlanIsAFunctionOfItsInputsAndItsDigestSaysSo() throws {
        let corpus = try Self.makeCorpus()
        defer { TempFolder.remove(corpus.dir) }
        for taskCount in 1...7 {
            let a = try IngestPartition(sources: corpus.sources, taskCount: taskCount)
            let b = try IngestPartition(sources: try Self.makeCorpusSources(like: corpus), taskCount: taskCount)
            #expect(a == b)
            #expect(a.digest == b.digest)
        }
        // The same plan from the manifest, files listed and classified as ingest lists them.
        let manifest = try Manifest.load(path: corpus.manifest)
        #expect(try IngestPartition(manifest: manifest, taskCount: 4) == IngestPartition(sources: corpus.sources,
                                                                                          taskCount: 4))
        let base = try IngestPartition(sources: corpus.sources, taskCount: 3).digest
        var changed = corpus.sources
        changed[0].files[2].size -= 1
        var renamed = corpus.sources
        renamed[1].name = "other"
        var reframed = corpus.sources
        if case .frames(let starts) = reframed[1].files[0].kind {
            reframed[1].files[0].kind = .frames(Array(starts.dropLast()))
        }
        let digests = try [changed, renamed, reframed].map { try IngestPartition(sources: $0, taskCount: 3).digest }
            + [try IngestPartition(sources: corpus.sources, taskCount: 4).digest]
        #expect(Set(digests + [base]).count == 5)
    }

    /// The sources of a corpus listed again from disk, so equality is not identity.
    static func makeCorpusSources(like corpus: Corpus) throws -> [IngestPartition.Source] {
        corpus.sources.map { source in
            .init(name: source.name, files: source.files.map { file in
                let format: SourceFormat = source.name == "docs" ? .text : .jsonl
                return .init(path: file.path, size: file.size, kind: .of(path: file.path, format: format))
            })
        }
    }

    /// The digest is stable across runs and machines: catalogs compare it with the one they recorded.
    @Test func theDigestOfAFixedPlanNeverChanges() throws {
        let sources: [IngestPartition.Source] = [
            .init(name: "web", files: [.init(path: "/data/a.jsonl", size: 1_000, kind: .lines),
                                       .init(path: "/data/b.jsonl.zst", size: 900, kind: .frames([0, 300, 600]))]),
            .init(name: "books", files: [.init(path: "/data/c.txt", size: 50, kind: .whole)]),
        ]
        let plan = try IngestPartition(sources: sources, taskCount: 3)
        #expect(plan.cuts == [0, 650, 1_300, 1_950])
        #expect(plan.tasks.map { $0.map(\.bytes) } == [[0..<650], [650..<1_000, 0..<300], [300..<900, 0..<50]])
        #expect(plan.digest == "5e072b0fdde82061")
    }

    @Test func unsplittableFilesLeaveTasksEmptyAndEmptyFilesGoSomewhere() throws {
        let sources: [IngestPartition.Source] = [
            .init(name: "s", files: [.init(path: "/e0", size: 0, kind: .lines),
                                     .init(path: "/big.gz", size: 1_000, kind: .whole),
                                     .init(path: "/e1", size: 0, kind: .lines),
                                     .init(path: "/small", size: 10, kind: .lines),
                                     .init(path: "/e2", size: 0, kind: .whole)]),
        ]
        let plan = try IngestPartition(sources: sources, taskCount: 5)
        #expect(plan.cuts == [0, 1_000, 1_000, 1_000, 1_000, 1_010])
        #expect(plan.tasks.map { $0.map(\.file) } == [[0, 1], [], [], [], [2, 3, 4]])
        #expect(try IngestPartition(sources: sources, taskCount: 2).tasks.map { $0.map(\.file) } == [[0, 1], [2, 3, 4]])
        #expect(try IngestPartition(sources: [.init(name: "s", files: [])], taskCount: 3).tasks == [[], [], []])
        // Sizes near the largest Int: k·W/N is computed at double width.
        let vast = try IngestPartition(sources: [.init(name: "s", files: [
            .init(path: "/a", size: Int.max / 2, kind: .lines), .init(path: "/b", size: Int.max / 2, kind: .lines),
        ])], taskCount: 7)
        let w = Int.max - 1
        #expect(vast.cuts == (0...7).map { k in (w / 7) * k + (w % 7) * k / 7 })
        #expect(throws: MoeDataError.self) { try IngestPartition(sources: sources, taskCount: 0) }
        #expect(throws: MoeDataError.self) {
            try IngestPartition(sources: [.init(name: "s", files: [.init(path: "/a", size: -1, kind: .lines)])],
                                taskCount: 2)
        }
        #expect(throws: MoeDataError.self) {
            try IngestPartition(sources: [.init(name: "s", files: [.init(path: "/z", size: 9, kind: .frames([3, 5]))])],
                                taskCount: 2)
        }
    }
}

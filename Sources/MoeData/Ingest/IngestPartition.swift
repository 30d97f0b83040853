import FileSupport
import Foundation
import JSON
import MDS

/// A deterministic split of an ingest's input into N tasks, balanced by bytes (issue 13).
///
/// The files are laid end to end in canonical order (sources in manifest order, each source's
/// files in `InputFiles.list` order), W bytes in all (sizes on disk). The plan cuts that sequence
/// at N−1 points: cut k (1 ≤ k < N) is ⌊k·W/N⌋, moved forward to the first place at or after it
/// where a cut is allowed. A cut is allowed at every file start and file end, and inside a file
/// according to its `Kind`. Task k holds the bytes from cut k to cut k+1 (cut 0 = 0, cut N = W) as
/// pieces, one per file it touches, in canonical order; reading the tasks one after the other
/// reads the input in canonical order. A task may be empty (when a file that cannot be cut spans
/// several shares). A file of 0 bytes is one empty piece, in the last task that starts at or
/// before its position, so every file is in at least one task (its skip is counted once).
///
/// The plan depends only on the sources' names, the files' paths, sizes and kinds (frame starts)
/// and N, never on timing: every task computes the same plan on its own, and `digest` tells a
/// changed plan from an unchanged one.
///
/// Which records a piece owns: a record (a line) belongs to the piece in which its first byte
/// lies. `PieceByteSource` reads exactly those lines; its documentation has the details.
public struct IngestPartition: Sendable, Equatable {
    /// Where a file may be cut.
    public enum Kind: Sendable, Equatable {
        /// Plain JSONL: at any byte; a reader resynchronises at the next line start.
        case lines
        /// zstd with several frames: only at these frame starts (file offsets, ascending, the first 0).
        case frames([Int])
        /// Parquet with several row groups: only where a row group starts (file offsets, ascending,
        /// the first 0; `ParquetFile.rowGroupStarts`). A piece reads the row groups starting in it.
        case rowGroups([Int])
        /// Gzip, single-frame zstd, text and code files: never; the file goes whole to one task.
        case whole
    }

    /// One input file, as the plan sees it. (The ingest builds plans inside this module, with the
    /// memberwise initialisers of these types; outside it, plans come from `init(manifest:taskCount:)`.)
    public struct File: Sendable, Equatable {
        public var path: String
        public var size: Int
        public var kind: Kind
    }

    /// One source's files, in `InputFiles.list` order.
    public struct Source: Sendable, Equatable {
        public var name: String
        public var files: [File]
    }

    /// A part of one file given to one task.
    public struct Piece: Sendable, Equatable, Hashable {
        /// Index of the source in the plan's (the manifest's) sources.
        public var source: Int
        /// Index of the file in its source's files.
        public var file: Int
        /// File offsets of the piece (compressed offsets for zstd); empty only for an empty file.
        public var bytes: Range<Int>
        /// True when the piece reaches the end of its file: the task that holds it finishes the file.
        public var isFileEnd: Bool

        /// True for the piece that starts its file (its first line is line 1, a byte order mark may lead it).
        public var isFileStart: Bool { bytes.lowerBound == 0 }
    }

    public let sources: [Source]
    public let taskCount: Int
    /// `cuts[k]..<cuts[k+1]` are task k's bytes in the files laid end to end; N+1 values, from 0 to W.
    public let cuts: [Int]
    /// Each task's pieces, in canonical order.
    public let tasks: [[Piece]]
    /// xxh64 (hex) of the plan's inputs, its format version and its cuts.
    public let digest: String

    /// Plans `taskCount` tasks over `sources`. Sizes must not be negative; frame starts must be
    /// ascending, start at 0 and lie inside their file.
    public init(sources: [Source], taskCount: Int) throws {
        guard taskCount >= 1 else { throw MoeDataError("the number of tasks must be at least 1, not \(taskCount)") }
        let layout = try Layout(sources)
        var cuts = [0]
        for k in 1..<taskCount {
            let product = k.multipliedFullWidth(by: layout.totalBytes)
            let target = taskCount.dividingFullWidth(product).quotient
            cuts.append(max(cuts[k - 1], layout.allowedCut(atOrAfter: target)))
        }
        cuts.append(layout.totalBytes)
        self.sources = sources
        self.taskCount = taskCount
        self.cuts = cuts
        tasks = layout.pieces(cuts: cuts)
        digest = Self.digest(sources: sources, taskCount: taskCount, cuts: cuts)
    }

    /// Plans over a manifest's files, listed as ingest lists them.
    public init(manifest: Manifest, taskCount: Int) throws {
        let sources = manifest.sources.map { source in
            Source(name: source.name, files: InputFiles.list(source).files.map {
                File(path: $0.path, size: $0.size, kind: Kind.of(path: $0.path, format: source.format))
            })
        }
        try self.init(sources: sources, taskCount: taskCount)
    }

    /// Bytes in the files laid end to end (W).
    public var totalBytes: Int { cuts.last ?? 0 }

    /// The file a piece is part of.
    public func file(of piece: Piece) -> File { sources[piece.source].files[piece.file] }

    /// Task `task`'s share of the bytes (on disk).
    public func bytes(ofTask task: Int) -> Int { cuts[task + 1] - cuts[task] }

    static let formatVersion = "moe-data ingest partition 1"

    static func digest(sources: [Source], taskCount: Int, cuts: [Int]) -> String {
        var hasher = XXH64()
        func add(_ text: String) { Array((text + "\n").utf8).withUnsafeBytes { hasher.update($0) } }
        add(formatVersion)
        add("tasks \(taskCount)")
        for source in sources {
            add("source " + JSONValue.string(source.name).encoded())
            for file in source.files {
                switch file.kind {
                case .lines: add("lines \(file.size) " + JSONValue.string(file.path).encoded())
                case .whole: add("whole \(file.size) " + JSONValue.string(file.path).encoded())
                case .frames(let starts):
                    add("frames \(file.size) \(starts.count) " + JSONValue.string(file.path).encoded())
                    starts.map { UInt64($0).littleEndian }.withUnsafeBytes { hasher.update($0) }
                case .rowGroups(let starts):
                    add("rowgroups \(file.size) \(starts.count) " + JSONValue.string(file.path).encoded())
                    starts.map { UInt64($0).littleEndian }.withUnsafeBytes { hasher.update($0) }
                }
            }
        }
        add("cuts " + cuts.map(String.init).joined(separator: " "))
        return XXH64.hex(hasher.digest())
    }
}

extension IngestPartition.Kind {
    /// How a file of a source in `format` may be cut. JSONL: `.zst`/`.zstd` files with several frames
    /// split at frame starts, other zstd and gzip files stay whole, plain files split anywhere.
    /// Text and code files are one document each: whole. Parquet files split where row groups start.
    /// A zstd or Parquet file that cannot be walked (corrupt, truncated) stays whole, so its reader
    /// reports the fault as a one-task ingest does.
    public static func of(path: String, format: SourceFormat) -> Self {
        if format == .parquet {
            guard let starts = ParquetLayout.rowGroupStarts(path: path), starts.count > 1 else { return .whole }
            return .rowGroups(starts)
        }
        guard format == .jsonl else { return .whole }
        let lower = path.lowercased()
        if lower.hasSuffix(".zst") || lower.hasSuffix(".zstd") {
            guard let frames = try? ZstdFrames.scan(path: path), frames.count > 1 else { return .whole }
            return .frames(frames.map(\.offset))
        }
        return lower.hasSuffix(".gz") ? .whole : .lines
    }
}

/// The files of a plan laid end to end: where each one starts, and where a cut may fall.
private struct Layout {
    /// (source, file) of each file, in canonical order.
    var keys: [(source: Int, file: Int)] = []
    var bases: [Int] = []
    var files: [IngestPartition.File] = []
    var totalBytes = 0

    init(_ sources: [IngestPartition.Source]) throws {
        for (s, source) in sources.enumerated() {
            for (f, file) in source.files.enumerated() {
                try Self.check(file)
                keys.append((s, f))
                bases.append(totalBytes)
                files.append(file)
                let (sum, overflow) = totalBytes.addingReportingOverflow(file.size)
                if overflow { throw MoeDataError("the input files add up to more bytes than can be counted") }
                totalBytes = sum
            }
        }
    }

    static func check(_ file: IngestPartition.File) throws {
        guard file.size >= 0 else { throw MoeDataError("\(file.path): negative size \(file.size)") }
        let starts: [Int]
        switch file.kind {
        case .frames(let s), .rowGroups(let s): starts = s
        case .lines, .whole: return
        }
        let ascending = zip(starts, starts.dropFirst()).allSatisfy { $0 < $1 }
        guard starts.first == 0, ascending, (starts.last ?? 0) < max(file.size, 1) else {
            throw MoeDataError("\(file.path): frame and row group starts must ascend from 0 and lie inside the "
                + "file's \(file.size) bytes")
        }
    }

    /// Index of the last file that starts at or before `offset` (files of 0 bytes included).
    func lastFile(startingAtOrBefore offset: Int) -> Int {
        var low = 0, high = bases.count  // first index whose base is > offset
        while low < high {
            let mid = (low + high) / 2
            if bases[mid] <= offset { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }

    /// The first place at or after `target` where a cut is allowed.
    func allowedCut(atOrAfter target: Int) -> Int {
        let i = lastFile(startingAtOrBefore: target)
        guard i >= 0 else { return target }
        let inside = target - bases[i]
        let file = files[i]
        if inside == 0 || inside >= file.size { return target }
        switch file.kind {
        case .lines: return target
        case .whole: return bases[i] + file.size
        case .frames(let starts), .rowGroups(let starts):
            var low = 0, high = starts.count  // first start at or after inside
            while low < high {
                let mid = (low + high) / 2
                if starts[mid] < inside { low = mid + 1 } else { high = mid }
            }
            return bases[i] + (low < starts.count ? starts[low] : file.size)
        }
    }

    /// Each task's pieces for `cuts` (N+1 ascending values from 0 to W).
    func pieces(cuts: [Int]) -> [[IngestPartition.Piece]] {
        let taskCount = cuts.count - 1
        var tasks = [[IngestPartition.Piece]](repeating: [], count: taskCount)
        /// The last task starting at or before `offset`.
        func lastTask(startingAtOrBefore offset: Int) -> Int {
            var low = 0, high = taskCount
            while low < high {
                let mid = (low + high) / 2
                if cuts[mid] <= offset { low = mid + 1 } else { high = mid }
            }
            return max(0, low - 1)
        }
        for (i, file) in files.enumerated() {
            let base = bases[i], end = bases[i] + file.size
            var task = lastTask(startingAtOrBefore: base)
            if file.size == 0 {
                tasks[task].append(.init(source: keys[i].source, file: keys[i].file, bytes: 0..<0, isFileEnd: true))
                continue
            }
            while task < taskCount && cuts[task] < end {
                let low = max(cuts[task], base), high = min(cuts[task + 1], end)
                if low < high {
                    tasks[task].append(.init(source: keys[i].source, file: keys[i].file,
                                             bytes: (low - base)..<(high - base), isFileEnd: high == end))
                }
                task += 1
            }
        }
        return tasks
    }
}

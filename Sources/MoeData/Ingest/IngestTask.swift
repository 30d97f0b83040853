import FileSupport
import Foundation
import JSON

/// Task `index` of a partitioned ingest (`moe-data ingest --task I --tasks N`): the pieces of the
/// input that `IngestPartition` gives it, and where its output goes.
///
/// Each task writes only its own files, so tasks on many nodes never write one file: shards under
/// `tokens/<source>/task-NNNNN/`, its catalog `tasks/task-NNNNN.sqlite` (SQLite must not be written
/// by several hosts over a network filesystem), its lock, and, when it has finished, the marker
/// `tasks/task-NNNNN.done`. `moe-data merge` indexes them into `catalog.sqlite` and `tokens/`.
public struct IngestTask: Sendable {
    public let index: Int
    public let partition: IngestPartition

    public init(index: Int, partition: IngestPartition) throws {
        guard (0..<partition.taskCount).contains(index) else {
            throw MoeDataError(
                "task \(index) does not exist: the tasks of a \(partition.taskCount)-task ingest are 0 to "
                    + "\(partition.taskCount - 1)")
        }
        self.index = index
        self.partition = partition
    }

    public var count: Int { partition.taskCount }

    /// `task-NNNNN`: the folder of the task's shards in each source, and the stem of its files.
    public var name: String { Self.name(index) }

    public static func name(_ index: Int) -> String {
        let digits = String(index)
        return "task-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// The units of source `sourceIndex` this task reads, in file order: whole files where its
    /// piece is the whole file (read exactly as a one-task ingest reads them), pieces otherwise.
    func units(ofSource sourceIndex: Int, files: [InputFile]) -> [IngestUnit] {
        partition.tasks[index].filter { $0.source == sourceIndex }.map { piece in
            let planned = partition.file(of: piece)
            let whole = piece.isFileStart && piece.isFileEnd
            return IngestUnit(
                fileIndex: piece.file, file: files[piece.file], piece: whole ? nil : piece,
                planned: planned, bytes: piece.bytes.count)
        }
    }
}

/// The files of partitioned-ingest tasks in an output folder.
public struct IngestTaskFiles: Sendable {
    public let outputDirectory: String

    public init(outputDirectory: String) {
        self.outputDirectory = outputDirectory
    }

    public static let directoryName = "tasks"

    public var directory: String { (outputDirectory as NSString).appendingPathComponent(Self.directoryName) }

    public func catalogPath(_ index: Int) -> String { path(index, ".sqlite") }
    public func donePath(_ index: Int) -> String { path(index, ".done") }
    public func lockPath(_ index: Int) -> String { path(index, ".lock") }

    private func path(_ index: Int, _ suffix: String) -> String {
        (directory as NSString).appendingPathComponent(IngestTask.name(index) + suffix)
    }

    /// Whether any task has left a catalog or a marker here (the output of a partitioned ingest).
    public var present: Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.contains { $0.hasPrefix("task-") && ($0.hasSuffix(".sqlite") || $0.hasSuffix(".done")) }
    }
}

/// What a finished task records in `tasks/task-NNNNN.done` (JSON): enough for `merge` and
/// `status` to trust it without opening its catalog.
public struct IngestTaskDone: Sendable, Equatable {
    public var task: Int
    public var tasks: Int
    public var partition: String
    public var documents: Int
    public var tokens: Int
    public var skipped: Int
    public var bytes: Int
    public var seconds: Double

    public var json: JSONValue {
        .object([
            "task": .int(Int64(task)), "tasks": .int(Int64(tasks)), "partition": .string(partition),
            "documents": .int(Int64(documents)), "tokens": .int(Int64(tokens)), "skipped": .int(Int64(skipped)),
            "bytes": .int(Int64(bytes)), "seconds": .double(seconds),
        ])
    }

    /// Reads a marker; nil when there is none. A marker that does not parse is an error naming it.
    public static func read(path: String) throws -> IngestTaskDone? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw MoeDataError("\(path): not a task completion marker (\(error)); delete it and run the task again")
        }
        func int(_ key: String) throws -> Int {
            guard let v = value[key]?.intValue else {
                throw MoeDataError("\(path): the task completion marker has no integer '\(key)'; delete it and run "
                    + "the task again")
            }
            return Int(v)
        }
        let seconds: Double
        switch value["seconds"] {
        case .double(let d): seconds = d
        case .int(let i): seconds = Double(i)
        default: seconds = 0
        }
        return IngestTaskDone(
            task: try int("task"), tasks: try int("tasks"), partition: value["partition"]?.stringValue ?? "",
            documents: try int("documents"), tokens: try int("tokens"), skipped: try int("skipped"),
            bytes: try int("bytes"), seconds: seconds)
    }

    func write(path: String) throws {
        try AtomicFile.write(Array((json.encoded() + "\n").utf8), to: URL(fileURLWithPath: path))
    }
}

/// One unit of a source's input for the ingest steps: a whole file, or a piece of one.
struct IngestUnit {
    /// Index of the file in the source's files.
    let fileIndex: Int
    let file: InputFile
    /// The part of the file to read; nil for the whole file.
    let piece: IngestPartition.Piece?
    /// The file as the partition planned it (its kind: how a piece of it is opened).
    let planned: IngestPartition.File?
    /// Input bytes of the unit (on disk): the file's size, or the piece's.
    let bytes: Int

    /// A Parquet piece: the file bytes in which its row groups start.
    var rowGroupBytes: Range<Int>? {
        guard let piece, case .rowGroups = planned?.kind else { return nil }
        return piece.bytes
    }

    static func whole(_ files: [InputFile]) -> [IngestUnit] {
        files.enumerated().map {
            IngestUnit(fileIndex: $0.offset, file: $0.element, piece: nil, planned: nil, bytes: $0.element.size)
        }
    }

    /// The reader's input for a piece of a line-based file (its owned lines and what precedes
    /// them); nil for a whole file and for a Parquet piece (see `rowGroupBytes`).
    func recordInput() throws -> RecordInput? {
        guard let piece, let planned, rowGroupBytes == nil else { return nil }
        let prefix = try PieceByteSource.prefix(of: piece, in: planned)
        return RecordInput(
            bytes: try PieceByteSource(piece: piece, file: planned), linesBefore: prefix.lines,
            bytesBefore: prefix.bytes)
    }
}

import FileSupport
import Foundation
import JSON

/// What `index.json` says of one shard (mosaicml-streaming's `version: 2` entry).
public struct MDSShardEntry: Sendable, Equatable {
    public var columns: [MDSColumn]
    public var compression: String?
    public var hashes: [String]
    public var sizeLimit: Int
    public var samples: Int
    public var rawBasename: String
    public var rawBytes: Int
    public var rawHashes: [String: String]
    public var zipBasename: String?
    public var zipBytes: Int?
    public var zipHashes: [String: String]?

    /// The entry as mosaicml-streaming writes it.
    public var json: JSONValue {
        func fileInfo(_ name: String, _ bytes: Int, _ h: [String: String]) -> JSONValue {
            .object([
                "basename": .string(name), "bytes": .int(Int64(bytes)), "hashes": .object(h.mapValues { .string($0) }),
            ])
        }
        return .object([
            "column_encodings": .array(columns.map { .string($0.encoding.name) }),
            "column_names": .array(columns.map { .string($0.name) }),
            "column_sizes": .array(columns.map { $0.encoding.fixedSize.map { JSONValue.int(Int64($0)) } ?? .null }),
            "compression": compression.map { .string($0) } ?? .null,
            "format": .string("mds"),
            "hashes": .array(hashes.map { .string($0) }),
            "raw_data": fileInfo(rawBasename, rawBytes, rawHashes),
            "samples": .int(Int64(samples)),
            "size_limit": .int(Int64(sizeLimit)),
            "version": .int(2),
            "zip_data": zipBasename.map { fileInfo($0, zipBytes ?? 0, zipHashes ?? [:]) } ?? .null,
        ])
    }

    public init(json: JSONValue) throws {
        func need<T>(_ v: T?, _ what: String) throws -> T {
            guard let v else { throw MDSError.format("index.json shard entry lacks \(what)") }
            return v
        }
        let names = try need(json["column_names"]?.arrayValue, "column_names").compactMap(\.stringValue)
        let encs = try need(json["column_encodings"]?.arrayValue, "column_encodings").compactMap(\.stringValue)
        guard names.count == encs.count else {
            throw MDSError.format("column_names and column_encodings differ in length")
        }
        columns = try zip(names, encs).map { MDSColumn($0, try MDSEncoding(name: $1)) }
        compression = json["compression"]?.stringValue
        hashes = (json["hashes"]?.arrayValue ?? []).compactMap(\.stringValue)
        sizeLimit = Int(json["size_limit"]?.intValue ?? 0)
        samples = Int(try need(json["samples"]?.intValue, "samples"))
        // A shard stores its sample count in 32 bits; bounding it here also keeps the dataset's
        // total (a sum over shards) from overflowing on a hostile index.json.
        guard samples >= 0, samples <= Int(UInt32.max) else {
            throw MDSError.format("index.json shard entry has \(samples) samples; a shard holds 0 to \(UInt32.max)")
        }
        let raw = try need(json["raw_data"], "raw_data")
        rawBasename = try need(raw["basename"]?.stringValue, "raw_data.basename")
        rawBytes = Int(try need(raw["bytes"]?.intValue, "raw_data.bytes"))
        rawHashes = (raw["hashes"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        if let zip = json["zip_data"], zip != .null {
            zipBasename = try need(zip["basename"]?.stringValue, "zip_data.basename")
            zipBytes = Int(try need(zip["bytes"]?.intValue, "zip_data.bytes"))
            zipHashes = (zip["hashes"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        }
    }

    public init(
        columns: [MDSColumn], compression: String?, hashes: [String], sizeLimit: Int, samples: Int,
        rawBasename: String, rawBytes: Int, rawHashes: [String: String],
        zipBasename: String?, zipBytes: Int?, zipHashes: [String: String]?
    ) {
        self.columns = columns
        self.compression = compression
        self.hashes = hashes
        self.sizeLimit = sizeLimit
        self.samples = samples
        self.rawBasename = rawBasename
        self.rawBytes = rawBytes
        self.rawHashes = rawHashes
        self.zipBasename = zipBasename
        self.zipBytes = zipBytes
        self.zipHashes = zipHashes
    }
}

/// Writes an MDS dataset directory: `shard.NNNNN.mds[.zstd]` files and `index.json`.
///
/// Shards are cut exactly where mosaicml-streaming's `MDSWriter` would cut them (a sample
/// that would push the raw size over `sizeLimit` starts a new shard), so the layout is a pure
/// function of the sample sequence. Each shard is written to a temporary name, fsynced and
/// renamed, so a crash never leaves a partial file under a final name.
public final class MDSWriter {
    public let directory: URL
    public let columns: [MDSColumn]  // sorted by name, as MDS stores them
    public let compressionLevel: Int32?
    public let sizeLimit: Int
    public let hashes = ["xxh64"]
    /// Subdirectory prefix for basenames, so a parent `index.json` can list shards of children.
    public private(set) var entries: [MDSShardEntry]
    /// Called when a shard's bytes are in its temporary file, before the rename (crash tests
    /// stop the process here through it).
    public var beforeRename: (@Sendable () throws -> Void)?
    /// zstd's workers for the last shard, the one `flush()` or `cut(last: true)` makes
    /// (`Zstd.compress`): 0, the default, compresses it as the others, on the writing thread. A
    /// dataset written to its end at once can give it 1 or more, the same frame for any count:
    /// nothing else is left to overlap with it, so more cores shorten the end of the write.
    public var lastShardCompressionWorkers = 0

    private let configData: [UInt8]
    private var sampleData: [UInt8] = []
    /// The sample that overflowed the last shard cut, held until the next call, so that its
    /// buffer is taken after the caller has handed the cut shard on (and perhaps had a written
    /// shard's buffer back): one shard buffer fewer in memory, and fewer fresh pages.
    private var carried: [UInt8]?
    /// Buffers of written shards, for the next ones.
    let buffers = MDSShardBuffers()
    /// Where each pending sample ends, counted from the first one.
    private var sampleEnds: [Int] = []
    /// Bytes left free at the front of `sampleData` for the shard file's header (see `cut`).
    private var headerRoom = 0
    /// The sample count of the largest shard cut so far, from which the header room is sized.
    private var largestShardSamples: Int?
    private var shardSize: Int
    /// Shards cut so far, the ones given at `init` included: the number of the next one.
    private var shardsCut: Int
    private let variableColumns: [Int]

    /// `existing` continues a dataset whose first shards are already written (resume).
    public init(
        directory: URL, columns: [MDSColumn], compressionLevel: Int32? = 3,
        sizeLimit: Int = 1 << 26, existing: [MDSShardEntry] = []
    ) throws {
        guard sizeLimit > 0, sizeLimit < (1 << 32) else {
            throw MDSError.format("size limit must be in 1..<2^32, got \(sizeLimit)")
        }
        self.directory = directory
        let sorted = columns.sorted { $0.name < $1.name }
        self.columns = sorted
        self.compressionLevel = compressionLevel
        self.sizeLimit = sizeLimit
        self.entries = existing
        shardsCut = existing.count
        let config: JSONValue = .object([
            "column_encodings": .array(sorted.map { .string($0.encoding.name) }),
            "column_names": .array(sorted.map { .string($0.name) }),
            "column_sizes": .array(sorted.map { $0.encoding.fixedSize.map { JSONValue.int(Int64($0)) } ?? .null }),
            "compression": compressionLevel.map { .string($0 == 3 ? "zstd" : "zstd:\($0)") } ?? .null,
            "format": .string("mds"),
            "hashes": .array(["xxh64"].map { .string($0) }),
            "size_limit": .int(Int64(sizeLimit)),
            "version": .int(2),
        ])
        configData = Array(config.encoded().utf8)
        shardSize = 8 + configData.count
        // Reserved at once, so filling a shard never moves it (untouched pages cost nothing).
        sampleData = buffers.take(capacity: MDSWriter.bufferCapacity(sizeLimit))  // no header room: see `cut`
        variableColumns = sorted.indices.filter { sorted[$0].encoding.fixedSize == nil }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public var pendingSamples: Int { sampleEnds.count }
    public var compressionName: String? { compressionLevel.map { $0 == 3 ? "zstd" : "zstd:\($0)" } }

    /// Encodes one sample given its values in the writer's (sorted) column order.
    /// Returns the entry of a shard flushed to make room, if any.
    @discardableResult
    public func write(_ values: [MDSValue]) throws -> MDSShardEntry? {
        // The full shard is written before the sample goes into a buffer: the written shard gives
        // its buffer back for it, so one shard buffer is resident instead of two.
        try appendSample(values) { try writeAndRecord($0) }
    }

    /// The pending samples' buffer: a shard's size limit, and room for the sample that overflows it
    /// (encoded in place before the writer knows that it does, see `appendSample`).
    static func bufferCapacity(_ sizeLimit: Int) -> Int {
        min(sizeLimit, 1 << 27) + min(sizeLimit, 1 << 20)
    }

    /// Encodes one sample at the end of the pending ones: the sizes of its variable-size columns,
    /// then every column's payload, straight into the shard's buffer (no copy of the sample). When
    /// the sample pushes the pending samples over `sizeLimit`, it is moved out, the pending ones
    /// are cut as a shard and given to `closed`, and the sample goes into the next shard. On an
    /// error, the pending samples are as they were.
    private func appendSample<T>(_ values: [MDSValue], closed: (MDSPendingShard) throws -> T) throws -> T? {
        guard values.count == columns.count else {
            throw MDSError.format("sample has \(values.count) values for \(columns.count) columns")
        }
        takeBufferIfNeeded()
        let start = sampleData.count
        do {
            try encodeSample(values)
        } catch {
            sampleData.removeSubrange(start...)
            throw error
        }
        let size = sampleData.count - start
        var result: T?
        if sizeLimit < shardSize + size + 4 && !sampleEnds.isEmpty {
            let sample = Array(sampleData[start...])
            sampleData.removeSubrange(start...)
            if let shard = try cut() { result = try closed(shard) }
            carried = sample
            sampleEnds.append(size)  // the first sample of the next buffer
        } else {
            sampleEnds.append(sampleData.count - headerRoom)
        }
        shardSize += size + 4
        return result
    }

    /// Leaves room at the front of the empty `sampleData` for the header of a shard a quarter
    /// larger than the largest so far (none before the first cut: its header is moved in).
    private func reserveHeaderRoom() {
        headerRoom = largestShardSamples.map { MDSWriter.headerBytes(samples: $0 + $0 / 4 + 16, configData) } ?? 0
        sampleData.append(contentsOf: repeatElement(0, count: headerRoom))
    }

    /// The size of a shard file's header: sample count, `samples + 1` offsets, the config JSON.
    static func headerBytes(samples: Int, _ configData: [UInt8]) -> Int {
        4 + 4 * (samples + 1) + configData.count
    }

    /// Gives the pending samples a buffer if they have none, with the carried sample first.
    private func takeBufferIfNeeded() {
        guard sampleData.capacity == 0 else { return }
        sampleData = buffers.take(capacity: MDSWriter.bufferCapacity(sizeLimit))
        reserveHeaderRoom()
        if let sample = carried {
            sampleData.append(contentsOf: sample)
            carried = nil
        }
    }

    /// Appends one sample's bytes to `sampleData`; the variable-size columns' sizes are written
    /// into room left for them once their payloads are there.
    private func encodeSample(_ values: [MDSValue]) throws {
        var sizeSlot = sampleData.count
        sampleData.append(contentsOf: repeatElement(0, count: 4 * variableColumns.count))
        for (i, value) in values.enumerated() {
            let before = sampleData.count
            try MDSWriter.encode(value, as: columns[i], into: &sampleData)
            let size = sampleData.count - before
            if let fixed = columns[i].encoding.fixedSize {
                guard size == fixed else {
                    throw MDSError.format("column '\(columns[i].name)' needs \(fixed) bytes, value has \(size)")
                }
            } else {
                withUnsafeBytes(of: UInt32(size).littleEndian) { bytes in
                    for (k, byte) in bytes.enumerated() { sampleData[sizeSlot + k] = byte }
                }
                sizeSlot += 4
            }
        }
    }

    /// Convenience: values by column name.
    @discardableResult
    public func write(_ sample: [String: MDSValue]) throws -> MDSShardEntry? {
        let values = try columns.map { col -> MDSValue in
            guard let v = sample[col.name] else { throw MDSError.format("sample lacks column '\(col.name)'") }
            return v
        }
        return try write(values)
    }

    /// Writes the pending samples as a shard (nothing if none are pending).
    @discardableResult
    public func flush() throws -> MDSShardEntry? {
        try cut(last: true).map(writeAndRecord)
    }

    private func writeAndRecord(_ shard: MDSPendingShard) throws -> MDSShardEntry {
        let entry = try shard.write()
        record(entry)
        return entry
    }

    /// Takes the pending samples as the next shard, to be written by `MDSPendingShard.write()`
    /// (on another thread, say); nil if none are pending. Shards are cut in order and numbered
    /// from the entries given at `init`; `record` their entries in that order.
    ///
    /// The shard file's header goes in front of the samples in their own buffer, in the room left
    /// for it (else moved in, the first shard's case), and written shards give their buffers back:
    /// filling a shard touches memory that is already mapped, and no byte is copied twice.
    /// `last` says it is the dataset's last shard (`lastShardCompressionWorkers`).
    public func cut(last: Bool = false) throws -> MDSPendingShard? {
        guard !sampleEnds.isEmpty else { return nil }
        takeBufferIfNeeded()
        let n = sampleEnds.count
        let base = MDSWriter.headerBytes(samples: n, configData)
        guard base + sampleData.count - headerRoom < (1 << 32) else { throw MDSError.format("shard exceeds 4 GiB") }
        var header: [UInt8] = []
        header.reserveCapacity(base)
        header.appendLE(UInt32(n))
        header.appendLE(UInt32(base))
        for end in sampleEnds { header.appendLE(UInt32(base + end)) }
        header.append(contentsOf: configData)
        let start: Int
        if base <= headerRoom {
            start = headerRoom - base
            sampleData.withUnsafeMutableBytes { buffer in
                let room = UnsafeMutableRawBufferPointer(rebasing: buffer[start..<headerRoom])
                header.withUnsafeBytes { room.copyMemory(from: $0) }
            }
        } else {
            start = 0
            sampleData.replaceSubrange(0..<headerRoom, with: header)
        }
        largestShardSamples = max(largestShardSamples ?? 0, n)
        let shard = MDSPendingShard(
            index: shardsCut, raw: sampleData, start: start, samples: n, buffers: buffers,
            file: MDSShardFile(
                directory: directory, columns: columns, compressionLevel: compressionLevel, sizeLimit: sizeLimit,
                configData: configData, beforeRename: beforeRename),
            compressionWorkers: last ? lastShardCompressionWorkers : 0)
        shardsCut += 1
        sampleData = []  // the next sample takes a buffer (see `appendSample`)
        headerRoom = 0
        sampleEnds.removeAll(keepingCapacity: true)
        shardSize = 8 + configData.count
        return shard
    }

    /// Adds the entry of a shard `cut` made and written.
    public func record(_ entry: MDSShardEntry) {
        entries.append(entry)
    }

    /// Appends one sample (its values in the writer's sorted column order) and returns the shard
    /// it closed, if any, cut but not written: `write(_:)` without the write.
    public func append(_ values: [MDSValue]) throws -> MDSPendingShard? {
        try appendSample(values) { $0 }
    }

    /// Flushes and writes `index.json`.
    public func finish() throws {
        try flush()
        try MDSIndex(shards: entries).write(to: directory)
    }

    /// Appends `value`'s payload as `column` stores it to `out`.
    static func encode(_ value: MDSValue, as column: MDSColumn, into out: inout [UInt8]) throws {
        func arrayHeader(_ count: Int, _ t: MDSDType) throws {
            guard case .ndarray(let dt, let fixed) = column.encoding, dt == t else {
                throw MDSError.format(
                    "column '\(column.name)' (\(column.encoding.name)) cannot hold a \(t.rawValue) array")
            }
            if fixed == nil {
                guard count > 0 else {
                    throw MDSError.format("column '\(column.name)': MDS cannot encode an empty array")
                }
                if count < (1 << 8) {
                    out.append(1 << 2 | 0); out.append(UInt8(count))
                } else if count < (1 << 16) {
                    out.append(1 << 2 | 1); out.appendLE(UInt16(count))
                } else {
                    out.append(1 << 2 | 2); out.appendLE(UInt32(count))
                }
            }
        }
        switch value {
        case .uint8s(let a): try arrayHeader(a.count, .uint8); out.append(contentsOf: a)
        case .uint16s(let a): try arrayHeader(a.count, .uint16); out.appendArrayLE(a)
        case .int32s(let a): try arrayHeader(a.count, .int32); out.appendArrayLE(a)
        case .uint32s(let a): try arrayHeader(a.count, .uint32); out.appendArrayLE(a)
        case .float32s(let a):
            try arrayHeader(a.count, .float32)
            out.appendArrayLE(a.map(\.bitPattern))
        case .string(let s):
            guard column.encoding == .str else { throw MDSError.format("column '\(column.name)' is not str") }
            out.append(contentsOf: s.utf8)
        case .json(let j):
            guard column.encoding == .json else { throw MDSError.format("column '\(column.name)' is not json") }
            j.encode(into: &out)
        case .bytes(let b):
            guard column.encoding == .bytes else { throw MDSError.format("column '\(column.name)' is not bytes") }
            out.append(contentsOf: b)
        case .int(let i):
            guard column.encoding == .int || column.encoding == .scalar(.int64) else {
                throw MDSError.format("column '\(column.name)' is not int")
            }
            out.appendLE(i)
        case .uint32(let v):
            guard column.encoding == .scalar(.uint32) else {
                throw MDSError.format("column '\(column.name)' is not uint32")
            }
            out.appendLE(v)
        case .uint64(let v):
            guard column.encoding == .scalar(.uint64) else {
                throw MDSError.format("column '\(column.name)' is not uint64")
            }
            out.appendLE(v)
        }
    }
}

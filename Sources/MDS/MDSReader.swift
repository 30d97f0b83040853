import FileSupport
import Foundation
import JSON

/// Reads an MDS directory written by us or by mosaicml-streaming.
public final class MDSDataset: @unchecked Sendable {
    public let directory: URL
    public let index: MDSIndex
    /// Verify xxh64 hashes of every file read (on by default).
    public let verifyHashes: Bool
    /// The memory of progressive shards done with, for the next ones (two: the one being read
    /// and the one decoded ahead of it hand theirs on in turn).
    let decodeBuffers = MDSDecodeBuffers(keep: 2)

    public init(directory: URL, verifyHashes: Bool = true) throws {
        self.directory = directory
        self.index = try MDSIndex.read(from: directory)
        self.verifyHashes = verifyHashes
    }

    public var shardCount: Int { index.shards.count }
    public var sampleCount: Int { index.shards.reduce(0) { $0 + $1.samples } }

    /// Loads one shard: reads the compressed file (or the raw one), checks hashes, decompresses.
    public func shard(_ i: Int) throws -> MDSShard {
        guard index.shards.indices.contains(i) else { throw MDSError.format("\(directory.path): no shard \(i)") }
        let entry = index.shards[i]
        let raw: [UInt8]
        if let zipName = entry.zipBasename {
            let url = directory.appendingPathComponent(zipName)
            let zip = try MDSDataset.readFile(url)
            if let expected = entry.zipBytes, expected != zip.count {
                throw MDSError.format(
                    "\(url.path): \(zip.count) bytes, index.json says \(expected); the shard is truncated or was "
                        + "changed"
                )
            }
            if verifyHashes { try MDSDataset.check(zip, entry.zipHashes ?? [:], url.path) }
            do { raw = try zip.withUnsafeBytes { try Zstd.decompress($0, limit: entry.rawBytes) } } catch {
                throw MDSError.compression("\(url.path): \(error)")
            }
        } else {
            let url = directory.appendingPathComponent(entry.rawBasename)
            raw = try MDSDataset.readFile(url)
        }
        let name = directory.appendingPathComponent(entry.zipBasename ?? entry.rawBasename).path
        if raw.count != entry.rawBytes {
            throw MDSError.format("\(name): raw size \(raw.count), index.json says \(entry.rawBytes)")
        }
        if verifyHashes { try MDSDataset.check(raw, entry.rawHashes, name + " (raw)") }
        return try MDSShard(bytes: raw, columns: entry.columns, name: name)
    }

    /// The whole file, read straight into the array (a `Data` first meant a second copy of a shard).
    static func readFile(_ url: URL) throws -> [UInt8] {
        let missing = MDSError.io("\(url.path): missing or unreadable shard file")
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw missing }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw missing }
        let size = Int(st.st_size)
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size, let base = buffer.baseAddress {
                let n = read(fd, base + done, size - done)
                if n <= 0 { break }
                done += n
            }
            complete = done == size
            count = done
        }
        guard complete else { throw missing }
        return bytes
    }

    static func check(_ bytes: [UInt8], _ hashes: [String: String], _ name: String) throws {
        for (algo, expected) in hashes {
            guard algo == "xxh64" else { continue }  // other algorithms are not checked here
            let actual = XXH64.hex(XXH64.hash(bytes))
            if actual != expected {
                throw MDSError.hashMismatch(file: name, algorithm: algo, expected: expected, actual: actual)
            }
        }
    }
}

/// One decompressed shard with random access to its samples.
public struct MDSShard: Sendable {
    public let bytes: [UInt8]
    public let columns: [MDSColumn]
    public let count: Int
    let name: String

    public init(bytes: [UInt8], columns: [MDSColumn], name: String) throws {
        self.bytes = bytes
        self.columns = columns
        self.name = name
        guard bytes.count >= 8 else { throw MDSError.format("\(name): too short for an MDS shard") }
        let n = bytes.withUnsafeBytes { Int($0.readLE(UInt32.self, at: 0)) }
        guard 4 + 4 * (n + 1) <= bytes.count else {
            throw MDSError.format("\(name): sample count \(n) does not fit the file")
        }
        self.count = n
        let lastEnd = bytes.withUnsafeBytes { Int($0.readLE(UInt32.self, at: 4 + 4 * n)) }
        guard lastEnd == bytes.count else {
            throw MDSError.format("\(name): last offset \(lastEnd) != file size \(bytes.count)")
        }
    }

    /// Decodes sample `i` into values in column order.
    public func sample(_ i: Int) throws -> [MDSValue] {
        try bytes.withUnsafeBytes { try MDSShard.sample(i, of: count, in: $0, columns: columns, name: name) }
    }

    /// Sample `i` of the `count` samples of the shard file `buf` (sample count, offsets, samples),
    /// in column order; shared with `MDSProgressiveShard`, which calls it on the bytes decoded so far.
    static func sample(
        _ i: Int, of count: Int, in buf: UnsafeRawBufferPointer, columns: [MDSColumn], name: String
    ) throws -> [MDSValue] {
        guard i >= 0 && i < count else { throw MDSError.format("\(name): no sample \(i)") }
        let begin = Int(buf.readLE(UInt32.self, at: 4 + 4 * i))
        let end = Int(buf.readLE(UInt32.self, at: 8 + 4 * i))
        guard begin <= end, end <= buf.count else { throw MDSError.format("\(name): bad offsets for sample \(i)") }
        var sizes: [Int] = []
        var p = begin
        for c in columns where c.encoding.fixedSize == nil {
            guard p + 4 <= end else { throw MDSError.format("\(name): sample \(i) truncated") }
            sizes.append(Int(buf.readLE(UInt32.self, at: p)))
            p += 4
        }
        var values: [MDSValue] = []
        var v = 0
        for c in columns {
            let size: Int
            if let fixed = c.encoding.fixedSize { size = fixed } else { size = sizes[v]; v += 1 }
            guard p + size <= end else {
                throw MDSError.format("\(name): sample \(i) column '\(c.name)' overruns the sample")
            }
            values.append(try MDSShard.decode(UnsafeRawBufferPointer(rebasing: buf[p..<(p + size)]), c, name))
            p += size
        }
        return values
    }

    /// Decodes sample `i` keyed by column name.
    public func sampleByName(_ i: Int) throws -> [String: MDSValue] {
        let values = try sample(i)
        var out: [String: MDSValue] = [:]
        for (c, v) in zip(columns, values) { out[c.name] = v }
        return out
    }

    static func decode(_ b: UnsafeRawBufferPointer, _ c: MDSColumn, _ name: String) throws -> MDSValue {
        switch c.encoding {
        case .str:
            guard let s = String(validating: b, as: UTF8.self) else {
                throw MDSError.format("\(name): column '\(c.name)' is not UTF-8")
            }
            return .string(s)
        case .json:
            do { return .json(try JSONValue.parse(Data(b))) } catch {
                throw MDSError.format("\(name): column '\(c.name)': \(error)")
            }
        case .bytes: return .bytes([UInt8](b))
        case .int: return .int(b.readLE(Int64.self, at: 0))
        case .scalar(let t):
            switch t {
            case .uint32: return .uint32(b.readLE(UInt32.self, at: 0))
            case .uint64: return .uint64(b.readLE(UInt64.self, at: 0))
            case .int64: return .int(b.readLE(Int64.self, at: 0))
            default: throw MDSError.format("\(name): scalar \(t.rawValue) columns are not read by this tool")
            }
        case .ndarray(let t, let fixed):
            var p = 0
            var count: Int
            if let fixed {
                count = fixed
            } else {
                guard b.count >= 1 else { throw MDSError.format("\(name): column '\(c.name)' empty") }
                let head = b[0]
                p = 1
                guard head >> 2 == 1 else {
                    throw MDSError.format("\(name): column '\(c.name)' is not one-dimensional")
                }
                // The length field must be inside the column, and a 64-bit length must fit an Int:
                // both were read unchecked (a read past the shard, a trap on 2^63 and more).
                let width = 1 << Int(head & 3)
                guard b.count >= 1 + width else { throw MDSError.format("\(name): column '\(c.name)' truncated") }
                let length: UInt64
                switch head & 3 {
                case 0: length = UInt64(b[1])
                case 1: length = UInt64(b.readLE(UInt16.self, at: 1))
                case 2: length = UInt64(b.readLE(UInt32.self, at: 1))
                default: length = b.readLE(UInt64.self, at: 1)
                }
                p += width
                guard let n = Int(exactly: length) else {
                    throw MDSError.format("\(name): column '\(c.name)' claims \(length) elements")
                }
                count = n
            }
            // Divided rather than multiplied: count × width overflowed for counts near 2^62.
            guard count <= (b.count - p) / t.byteWidth, p + count * t.byteWidth == b.count else {
                throw MDSError.format(
                    "\(name): column '\(c.name)' has \(b.count - p) bytes for \(count) × \(t.rawValue)")
            }
            switch t {
            case .uint8: return .uint8s(b.readArrayLE(UInt8.self, at: p, count: count))
            case .uint16: return .uint16s(b.readArrayLE(UInt16.self, at: p, count: count))
            case .uint32: return .uint32s(b.readArrayLE(UInt32.self, at: p, count: count))
            case .int32: return .int32s(b.readArrayLE(Int32.self, at: p, count: count))
            case .float32:
                return .float32s(b.readArrayLE(UInt32.self, at: p, count: count).map { Float(bitPattern: $0) })
            default: throw MDSError.format("\(name): ndarray of \(t.rawValue) is not read by this tool")
            }
        }
    }
}

import Foundation

/// Reads a file of fixed-size records in order, through a buffer, or one record at a place.
final class RecordFileReader {
    let url: URL
    let recordSize: Int
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private let chunkRecords: Int

    init(url: URL, recordSize: Int, bufferBytes: Int = 1 << 20) throws {
        self.url = url
        self.recordSize = recordSize
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw MoeDataError("\(url.path): cannot open: \(error.localizedDescription)")
        }
        chunkRecords = max(1, bufferBytes / recordSize)
    }

    deinit { try? handle.close() }

    /// The next record, or nil at the end of the file (a partial record at the end is an error).
    func next() throws -> ArraySlice<UInt8>? {
        if position >= buffer.count {
            let data: Data?
            do { data = try handle.read(upToCount: chunkRecords * recordSize) } catch {
                throw MoeDataError("\(url.path): cannot read: \(error.localizedDescription)")
            }
            guard let data, !data.isEmpty else { return nil }
            guard data.count % recordSize == 0 else {
                throw MoeDataError("\(url.path): ends inside a record; run `moe-data dedup` again")
            }
            buffer = [UInt8](data)
            position = 0
        }
        defer { position += recordSize }
        return buffer[position..<(position + recordSize)]
    }

    /// The `index`-th record, read where it lies: for a reader that is not also read in order.
    func record(at index: Int) throws -> [UInt8] {
        do {
            try handle.seek(toOffset: UInt64(index * recordSize))
            let data = try handle.read(upToCount: recordSize) ?? Data()
            guard data.count == recordSize else { throw MoeDataError("\(url.path): no record \(index)") }
            return [UInt8](data)
        } catch let error as MoeDataError { throw error } catch {
            throw MoeDataError("\(url.path): cannot read: \(error.localizedDescription)")
        }
    }
}

extension ArraySlice where Element == UInt8 {
    /// The 8 big-endian bytes at `offset` from the slice's start.
    func bigEndianUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(self[startIndex + offset + i]) }
        return value
    }
}

/// Walks the pages of one column chunk, reading them from the file as they come (`pread` through
/// a read-ahead window) and decompressing each with the caller's codecs. Memory: the window (at
/// least `readAhead`, or one page as stored when larger) and the page being decoded, whatever the
/// size of the chunk. Every size in a page header is checked against the chunk before it is used.
struct PageReader {
    let input: any ParquetInput
    /// The chunk's bytes in the file.
    let chunk: Range<Int>
    let codec: CompressionCodec
    let decompressor: any PageDecompressor
    /// Pages that claim more bytes than this (uncompressed) are refused.
    let maxPageBytes: Int
    /// File offset of the next page header.
    private(set) var offset: Int
    /// Uncompressed bytes of the pages read so far.
    private(set) var uncompressedBytes = 0
    /// Bytes of the chunk read from `windowStart` on. A page keeps the window it points into alive,
    /// so a new window is a new buffer, never the old one overwritten.
    private var window: OwnedBytes?
    private var windowStart = 0

    /// The smallest read: several small pages (and their headers) come in one `pread`.
    static let readAhead = 1 << 20
    /// The first guess at a page header's size; one with large statistics is read again, bigger.
    static let headerGuess = 4096

    init(input: any ParquetInput, chunk: Range<Int>, codec: CompressionCodec, decompressor: any PageDecompressor,
         maxPageBytes: Int) {
        (self.input, self.chunk, self.codec) = (input, chunk, codec)
        (self.decompressor, self.maxPageBytes) = (decompressor, maxPageBytes)
        offset = chunk.lowerBound
    }

    /// The next data or dictionary page (index pages are passed over); nil at the chunk's end.
    mutating func next() throws -> Page? {
        while offset < chunk.upperBound {
            let pageOffset = offset
            let (header, headerLength) = try readHeader()
            let compressed = Int(header.compressedSize), uncompressed = Int(header.uncompressedSize)
            let left = chunk.upperBound - pageOffset - headerLength
            guard compressed <= left else {
                throw ParquetError("page at byte \(pageOffset): its \(compressed) bytes run past the end of the "
                    + "column chunk (\(left) bytes left; truncated, or the size lies)")
            }
            guard uncompressed <= maxPageBytes else {
                throw ParquetError("page at byte \(pageOffset): \(uncompressed) bytes uncompressed, more than the "
                    + "limit of \(maxPageBytes)")
            }
            if header.kind == .index {
                offset = pageOffset + headerLength + compressed
                continue
            }
            let stored = try load(headerLength + compressed)
            let bodyStart = pageOffset - windowStart + headerLength
            let body = UnsafeRawBufferPointer(rebasing: stored.bytes[bodyStart..<(bodyStart + compressed)])
            offset = pageOffset + headerLength + compressed
            uncompressedBytes += uncompressed
            do {
                var page = try decode(header, body: body, offset: pageOffset)
                page.stored = stored
                return page
            } catch let e as ParquetError {
                throw e.at("page at byte \(pageOffset)")
            }
        }
        return nil
    }

    /// The header at `offset` and its length, read with a window that grows until the header fits
    /// (or reaches the chunk's end, where a header that still does not parse is malformed).
    private mutating func readHeader() throws -> (PageHeader, Int) {
        var wanted = min(Self.headerGuess, chunk.upperBound - offset)
        while true {
            let bytes = try load(wanted)
            var reader = ThriftCompactReader(
                UnsafeRawBufferPointer(rebasing: bytes.bytes[(offset - windowStart)...]), position: 0)
            do {
                return (try PageHeader.read(&reader), reader.position)
            } catch let e as ParquetError {
                let inWindow = windowStart + bytes.count - offset
                guard inWindow < chunk.upperBound - offset, inWindow < maxPageBytes else {
                    throw e.at("page at byte \(offset)")
                }
                wanted = min(chunk.upperBound - offset, max(inWindow * 2, Self.headerGuess))
            }
        }
    }

    /// The window, made to hold the `count` bytes from `offset` on (`count` within the chunk).
    private mutating func load(_ count: Int) throws -> OwnedBytes {
        if let window, offset >= windowStart, offset + count <= windowStart + window.count { return window }
        let size = min(max(count, Self.readAhead), chunk.upperBound - offset)
        let bytes = OwnedBytes(count: size)
        guard try input.read(at: offset, into: bytes.buffer) == size else {
            throw ParquetError("the file ends inside the column chunk (bytes \(chunk.lowerBound) to "
                + "\(chunk.upperBound)), at byte \(offset)")
        }
        window = bytes
        windowStart = offset
        return bytes
    }

    private func decode(_ header: PageHeader, body: UnsafeRawBufferPointer, offset: Int) throws -> Page {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        guard header.kind == .dataV2 else {
            let (owner, values) = try inflate(body, to: Int(header.uncompressedSize), compressed: true)
            return Page(header: header, offset: offset, stored: nil, owner: owner, levels: empty, values: values)
        }
        let def = Int(header.dataV2.definitionLevelsLength), rep = Int(header.dataV2.repetitionLevelsLength)
        guard def >= 0, rep >= 0, def + rep <= body.count, def + rep <= Int(header.uncompressedSize) else {
            throw ParquetError("level lengths \(rep) + \(def) do not fit in the page's \(body.count) bytes")
        }
        let levels = UnsafeRawBufferPointer(rebasing: body[rep..<(rep + def)])
        let rest = UnsafeRawBufferPointer(rebasing: body[(rep + def)...])
        let (owner, values) = try inflate(rest, to: Int(header.uncompressedSize) - def - rep,
                                          compressed: header.dataV2.isCompressed)
        return Page(header: header, offset: offset, stored: nil, owner: owner, levels: levels, values: values)
    }

    /// `data` decompressed to exactly `size` bytes (or as it is, when not compressed).
    private func inflate(_ data: UnsafeRawBufferPointer, to size: Int, compressed: Bool)
        throws -> (OwnedBytes?, UnsafeRawBufferPointer)
    {
        guard compressed && codec != .uncompressed else {
            guard data.count == size else {
                throw ParquetError("an uncompressed page of \(data.count) bytes that says it has \(size)")
            }
            return (nil, data)
        }
        let out = OwnedBytes(count: size)
        do {
            try decompressor.decompress(
                codec, data, into: UnsafeMutableRawBufferPointer(rebasing: out.buffer[0..<size]))
        } catch let e as ParquetError {
            throw e
        } catch {
            throw ParquetError("\(codec) data does not decompress: \(error)")
        }
        return (out, out.bytes)
    }
}

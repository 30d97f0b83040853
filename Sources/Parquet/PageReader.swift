/// One page of a column chunk, decompressed: its header, where it starts in the file, its
/// definition levels (data pages) and its values section.
struct Page {
    var header: PageHeader
    /// File offset of the page header, for errors.
    var offset: Int
    /// Keeps `levels` and `values` alive when they live in a decompressed buffer.
    var owner: OwnedBytes?
    /// Data page v2: the definition levels (rep levels are never present in a flat column).
    var levels: UnsafeRawBufferPointer
    /// Data page v1: levels and values as one section; v2 and dictionary pages: the values.
    var values: UnsafeRawBufferPointer
}

/// Walks the pages of one column chunk held in memory, decompressing each with the caller's
/// codecs. Every size in a page header is checked against the chunk before it is used.
struct PageReader {
    let chunk: OwnedBytes
    /// File offset of the chunk's first byte.
    let chunkStart: Int
    let codec: CompressionCodec
    let decompressor: any PageDecompressor
    /// Pages that claim more bytes than this (uncompressed) are refused.
    let maxPageBytes: Int
    private(set) var position = 0
    /// Uncompressed bytes of the pages read so far.
    private(set) var uncompressedBytes = 0

    init(chunk: OwnedBytes, chunkStart: Int, codec: CompressionCodec, decompressor: any PageDecompressor,
         maxPageBytes: Int) {
        self.chunk = chunk
        self.chunkStart = chunkStart
        self.codec = codec
        self.decompressor = decompressor
        self.maxPageBytes = maxPageBytes
    }

    /// The file offset of the next page header.
    var offset: Int { chunkStart + position }

    /// The next data or dictionary page (index pages are passed over); nil at the chunk's end.
    mutating func next() throws -> Page? {
        while position < chunk.count {
            let pageOffset = offset
            var reader = ThriftCompactReader(chunk.bytes, position: position)
            let header: PageHeader
            do { header = try PageHeader.read(&reader) } catch let e as ParquetError {
                throw e.at("page at byte \(pageOffset)")
            }
            let bodyStart = reader.position
            let compressed = Int(header.compressedSize), uncompressed = Int(header.uncompressedSize)
            guard compressed <= chunk.count - bodyStart else {
                throw ParquetError("page at byte \(pageOffset): its \(compressed) bytes run past the end of the "
                    + "column chunk (\(chunk.count - bodyStart) bytes left; truncated, or the size lies)")
            }
            position = bodyStart + compressed
            guard uncompressed <= maxPageBytes else {
                throw ParquetError("page at byte \(pageOffset): \(uncompressed) bytes uncompressed, more than the "
                    + "limit of \(maxPageBytes)")
            }
            if header.kind == .index { continue }
            uncompressedBytes += uncompressed
            let body = UnsafeRawBufferPointer(rebasing: chunk.bytes[bodyStart..<(bodyStart + compressed)])
            do {
                return try decode(header, body: body, offset: pageOffset)
            } catch let e as ParquetError {
                throw e.at("page at byte \(pageOffset)")
            }
        }
        return nil
    }

    private func decode(_ header: PageHeader, body: UnsafeRawBufferPointer, offset: Int) throws -> Page {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        guard header.kind == .dataV2 else {
            let (owner, values) = try inflate(body, to: Int(header.uncompressedSize), compressed: true)
            return Page(header: header, offset: offset, owner: owner, levels: empty, values: values)
        }
        let def = Int(header.dataV2.definitionLevelsLength), rep = Int(header.dataV2.repetitionLevelsLength)
        guard def >= 0, rep >= 0, def + rep <= body.count, def + rep <= Int(header.uncompressedSize) else {
            throw ParquetError("level lengths \(rep) + \(def) do not fit in the page's \(body.count) bytes")
        }
        let levels = UnsafeRawBufferPointer(rebasing: body[rep..<(rep + def)])
        let rest = UnsafeRawBufferPointer(rebasing: body[(rep + def)...])
        let (owner, values) = try inflate(rest, to: Int(header.uncompressedSize) - def - rep,
                                          compressed: header.dataV2.isCompressed)
        return Page(header: header, offset: offset, owner: owner, levels: levels, values: values)
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

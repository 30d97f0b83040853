/// The values of one data page of a flat column, decoded one at a time: the definition level says
/// whether a row has a value, the page's encoding gives the value.
struct PageDecoder {
    private(set) var page: Page?
    /// Values (rows) not yet read in this page.
    private(set) var left = 0
    private var levels: RLEHybridDecoder?
    private var maxLevel = 0
    private var values = UnsafeRawBufferPointer(start: nil, count: 0)
    private var encoding = Encoding.plain
    /// PLAIN: the byte (booleans: the bit) of the next value; delta byte arrays: of the next bytes;
    /// BYTE_STREAM_SPLIT: the index of the next value.
    private var position = 0
    /// Dictionary indices, or RLE booleans.
    private var indices: RLEHybridDecoder?
    /// Integers, byte array lengths, or DELTA_BYTE_ARRAY prefix lengths.
    private var deltas: DeltaBinaryPackedDecoder?
    private var suffixLengths: DeltaBinaryPackedDecoder?
    private var previous: [UInt8] = []
    private var width = 0

    init() {}

    init(page: Page, column: LeafColumn) throws {
        self.page = page
        left = Int(page.header.numValues)
        maxLevel = column.maxDefinitionLevel
        values = page.values
        encoding = page.header.encoding
        width = ColumnDictionary.width(of: column)
        if maxLevel > 0 { try readLevels(page) }
        try start(column)
    }

    private mutating func readLevels(_ page: Page) throws {
        let bitWidth = Int.bitWidth - maxLevel.leadingZeroBitCount
        if page.header.kind == .dataV2 {
            levels = try RLEHybridDecoder(page.levels, bitWidth: bitWidth, what: "definition levels")
            return
        }
        guard page.header.definitionLevelEncoding == .rle else {
            throw ParquetError("definition levels in \(page.header.definitionLevelEncoding) are not supported (RLE is)")
        }
        guard values.count >= 4 else { throw ParquetError("the page ends before its definition levels") }
        let length = Int(values.loadUnaligned(as: UInt32.self).littleEndian)
        guard length <= values.count - 4 else { throw ParquetError("definition levels run past the page") }
        levels = try RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: values[4..<(4 + length)]),
                                      bitWidth: bitWidth, what: "definition levels")
        values = UnsafeRawBufferPointer(rebasing: values[(4 + length)...])
    }

    /// Sets up the decoding of the values section in the page's encoding.
    private mutating func start(_ column: LeafColumn) throws {
        let type = column.physicalType
        switch encoding {
        case .plain:
            break
        case .plainDictionary, .rleDictionary:
            // A page of nulls only may have no values section at all.
            guard let bitWidth = values.first else { break }
            indices = try RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: values[1...]), bitWidth: Int(bitWidth),
                                           what: "dictionary indices")
        case .rle where type == .boolean:
            guard values.count >= 4 else { throw ParquetError("RLE booleans without their length") }
            let length = Int(values.loadUnaligned(as: UInt32.self).littleEndian)
            guard length <= values.count - 4 else { throw ParquetError("RLE booleans run past the page") }
            indices = try RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: values[4..<(4 + length)]), bitWidth: 1,
                                           what: "RLE booleans")
        case .deltaBinaryPacked where type == .int32 || type == .int64:
            deltas = try DeltaBinaryPackedDecoder(values, at: 0, what: "delta integers")
        case .deltaLengthByteArray where type == .byteArray:
            deltas = try DeltaBinaryPackedDecoder(values, at: 0, what: "delta lengths")
            position = try DeltaBinaryPackedDecoder.end(of: values, at: 0, what: "delta lengths").end
        case .deltaByteArray where type == .byteArray || type == .fixedLenByteArray:
            deltas = try DeltaBinaryPackedDecoder(values, at: 0, what: "delta prefix lengths")
            let prefixEnd = try DeltaBinaryPackedDecoder.end(of: values, at: 0, what: "delta prefix lengths").end
            suffixLengths = try DeltaBinaryPackedDecoder(values, at: prefixEnd, what: "delta suffix lengths")
            position = try DeltaBinaryPackedDecoder.end(of: values, at: prefixEnd, what: "delta suffix lengths").end
        case .byteStreamSplit where width > 0 && type != .int96:
            guard values.count % width == 0 else {
                throw ParquetError("BYTE_STREAM_SPLIT data of \(values.count) bytes for \(width)-byte values")
            }
        default:
            throw ParquetError("encoding \(encoding) is not supported for \(type) values")
        }
    }

    mutating func withNext<T>(
        column: LeafColumn, dictionary: ColumnDictionary?, _ body: (ParquetValue) throws -> T
    ) throws -> T {
        left -= 1
        if let level = try levels?.next() {
            guard Int(level) <= maxLevel else { throw ParquetError("definition level \(level) over \(maxLevel)") }
            if Int(level) < maxLevel { return try body(.null) }
        }
        switch encoding {
        case .plain: return try plain(column, body)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else { throw ParquetError("dictionary-encoded values without a dictionary page") }
            guard let index = try indices?.next() else { throw ParquetError("dictionary-encoded values missing") }
            return try dictionary.withValue(Int(index), body)
        case .rle:
            guard let bit = try indices?.next() else { throw ParquetError("RLE booleans missing") }
            return try body(.boolean(bit != 0))
        case .deltaBinaryPacked:
            let v = try nextDelta()
            return try body(column.physicalType == .int32 ? .int32(Int32(truncatingIfNeeded: v)) : .int64(v))
        case .deltaLengthByteArray:
            let n = try nextDelta()
            return try body(.bytes(try take(n)))
        case .deltaByteArray: return try deltaByteArray(body)
        default: return try byteStreamSplit(column, body)
        }
    }

    private mutating func nextDelta() throws -> Int64 {
        guard let v = try deltas?.next() else { throw ParquetError("delta-encoded values missing") }
        return v
    }

    /// The next `count` bytes of the data after the delta lengths.
    private mutating func take(_ count: Int64) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= Int64(values.count - position) else {
            throw ParquetError("a value of \(count) bytes runs past the page")
        }
        defer { position += Int(count) }
        return UnsafeRawBufferPointer(rebasing: values[position..<(position + Int(count))])
    }

    private mutating func deltaByteArray<T>(_ body: (ParquetValue) throws -> T) throws -> T {
        let prefix = try nextDelta()
        guard let suffixLength = try suffixLengths?.next() else { throw ParquetError("delta suffixes missing") }
        guard prefix >= 0, prefix <= Int64(previous.count) else {
            throw ParquetError("a delta prefix of \(prefix) bytes after a value of \(previous.count)")
        }
        let suffix = try take(suffixLength)
        previous.removeSubrange(Int(prefix)...)
        previous.append(contentsOf: suffix)
        return try previous.withUnsafeBytes { try body(.bytes($0)) }
    }

    private mutating func plain<T>(_ column: LeafColumn, _ body: (ParquetValue) throws -> T) throws -> T {
        switch column.physicalType {
        case .byteArray:
            guard values.count - position >= 4 else { throw ParquetError("the page ends before a value's length") }
            let n = Int(values.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian)
            position += 4
            return try body(.bytes(try take(Int64(n))))
        case .boolean:
            guard position < values.count * 8 else { throw ParquetError("the page ends before a boolean") }
            defer { position += 1 }
            return try body(.boolean(values[position >> 3] >> UInt8(position & 7) & 1 != 0))
        default:
            guard width > 0, values.count - position >= width else {
                throw ParquetError("the page ends before a \(column.physicalType) value")
            }
            defer { position += width }
            return try body(PlainValues.fixed(values, at: position, type: column.physicalType, width: width))
        }
    }

    private mutating func byteStreamSplit<T>(_ column: LeafColumn, _ body: (ParquetValue) throws -> T) throws -> T {
        let streams = values.count / width
        guard position < streams else { throw ParquetError("the page ends before a BYTE_STREAM_SPLIT value") }
        defer { position += 1 }
        return try withUnsafeTemporaryAllocation(byteCount: width, alignment: 8) { scratch in
            for k in 0..<width { scratch[k] = values[k * streams + position] }
            return try body(PlainValues.fixed(UnsafeRawBufferPointer(scratch), at: 0, type: column.physicalType,
                                              width: width))
        }
    }
}

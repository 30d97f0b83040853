/// DELTA_BINARY_PACKED: a header (block size, miniblocks per block, value count, first value), then
/// blocks of a min delta, one bit width per miniblock, and the miniblocks' packed deltas. Decodes
/// one value at a time; arithmetic wraps, as the spec says (INT32 columns keep the low 32 bits).
struct DeltaBinaryPackedDecoder {
    /// Larger blocks than any writer uses are refused (they only serve to claim huge buffers).
    static let maxBlockSize = 1 << 16

    let bytes: UnsafeRawBufferPointer
    let valuesPerMiniblock: Int
    let miniblocksPerBlock: Int
    /// Values the header says the data holds, and those not yet returned.
    let totalValues: Int
    private(set) var valuesLeft: Int
    private var last: Int64
    private var first = true
    /// Where the next unread part (block header or miniblock) starts.
    private var position: Int
    private var minDelta: Int64 = 0
    private var widths: [UInt8] = []
    private var hasMiniblock = false
    private var miniblock = 0
    private var inMiniblock = 0
    private var miniblockStart = 0
    let what: StaticString

    init(_ bytes: UnsafeRawBufferPointer, at start: Int, what: StaticString) throws {
        self.bytes = bytes
        self.what = what
        position = start
        let blockSize = try readPageVarint(bytes, &position, what: what)
        let miniblocks = try readPageVarint(bytes, &position, what: what)
        let total = try readPageVarint(bytes, &position, what: what)
        let firstValue = try readPageVarint(bytes, &position, what: what)
        guard blockSize > 0, blockSize <= UInt64(Self.maxBlockSize), blockSize % 128 == 0, miniblocks > 0,
            miniblocks <= blockSize, blockSize % miniblocks == 0, (blockSize / miniblocks) % 32 == 0,
            total <= UInt64(Int32.max)
        else {
            throw ParquetError("\(what): a delta header with block size \(blockSize), \(miniblocks) miniblocks, "
                + "\(total) values")
        }
        miniblocksPerBlock = Int(miniblocks)
        valuesPerMiniblock = Int(blockSize / miniblocks)
        totalValues = Int(total)
        valuesLeft = Int(total)
        last = ThriftCompactReader.zigzag(firstValue)
        inMiniblock = valuesPerMiniblock
    }

    mutating func next() throws -> Int64 {
        guard valuesLeft > 0 else { throw ParquetError("\(what): more values asked than the \(totalValues) encoded") }
        valuesLeft -= 1
        if first {
            first = false
            return last
        }
        if inMiniblock == valuesPerMiniblock { try nextMiniblock() }
        let width = Int(widths[miniblock])
        let packed = BitUnpacking.value(
            UnsafeRawBufferPointer(rebasing: bytes[miniblockStart...]), bitOffset: inMiniblock * width, width: width)
        inMiniblock += 1
        last = last &+ minDelta &+ Int64(bitPattern: packed)
        return last
    }

    private mutating func nextMiniblock() throws {
        if hasMiniblock {
            position = miniblockStart + valuesPerMiniblock * Int(widths[miniblock]) / 8
            miniblock += 1
        }
        if !hasMiniblock || miniblock == miniblocksPerBlock {
            minDelta = ThriftCompactReader.zigzag(try readPageVarint(bytes, &position, what: what))
            guard miniblocksPerBlock <= bytes.count - position else {
                throw ParquetError("\(what): the data ends inside a delta block header")
            }
            widths = Array(bytes[position..<(position + miniblocksPerBlock)])
            guard widths.allSatisfy({ $0 <= 64 }) else { throw ParquetError("\(what): a delta bit width over 64") }
            position += miniblocksPerBlock
            miniblock = 0
        }
        hasMiniblock = true
        miniblockStart = position
        inMiniblock = 0
        let used = min(valuesLeft + 1, valuesPerMiniblock)
        guard (used * Int(widths[miniblock]) + 7) / 8 <= bytes.count - position else {
            throw ParquetError("\(what): the data ends inside a delta miniblock")
        }
    }

    /// Where the encoded values end (the next encoding's data starts there), found by walking the
    /// block headers without decoding values: from the header at `start`.
    static func end(of bytes: UnsafeRawBufferPointer, at start: Int, what: StaticString)
        throws -> (end: Int, count: Int)
    {
        let header = try DeltaBinaryPackedDecoder(bytes, at: start, what: what)
        var position = header.position
        var left = header.totalValues - (header.totalValues > 0 ? 1 : 0)
        while left > 0 {
            _ = try readPageVarint(bytes, &position, what: what)
            guard header.miniblocksPerBlock <= bytes.count - position else {
                throw ParquetError("\(what): the data ends inside a delta block header")
            }
            let widthsStart = position
            position += header.miniblocksPerBlock
            for m in 0..<header.miniblocksPerBlock where left > 0 {
                let width = Int(bytes[widthsStart + m])
                guard width <= 64 else { throw ParquetError("\(what): a delta bit width over 64") }
                position += header.valuesPerMiniblock * width / 8
                left -= min(left, header.valuesPerMiniblock)
            }
            guard position <= bytes.count else { throw ParquetError("\(what): the data ends inside a delta block") }
        }
        return (position, header.totalValues)
    }
}

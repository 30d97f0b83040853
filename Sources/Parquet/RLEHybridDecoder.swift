/// The RLE / bit-packed hybrid (Parquet's `RLE` encoding): definition levels, dictionary indices and
/// RLE booleans. Decodes one value at a time from runs, so a run that claims billions of values
/// costs nothing until they are asked for. A bit-packed run cut short by the end of the data
/// yields the values that are there (writers may end the last run early).
struct RLEHybridDecoder {
    let bytes: UnsafeRawBufferPointer
    let bitWidth: Int
    private(set) var position: Int
    private var repeatsLeft = 0
    private var repeatedValue: UInt32 = 0
    private var packedLeft = 0
    private var packedBit = 0
    let what: StaticString

    init(_ bytes: UnsafeRawBufferPointer, bitWidth: Int, what: StaticString) throws {
        guard (0...32).contains(bitWidth) else { throw ParquetError("\(what): bit width \(bitWidth) is not 0 to 32") }
        self.bytes = bytes
        self.bitWidth = bitWidth
        position = 0
        self.what = what
    }

    mutating func next() throws -> UInt32 {
        if repeatsLeft > 0 {
            repeatsLeft -= 1
            return repeatedValue
        }
        if packedLeft > 0 {
            packedLeft -= 1
            let v = BitUnpacking.value(bytes, bitOffset: packedBit, width: bitWidth)
            packedBit += bitWidth
            return UInt32(truncatingIfNeeded: v)
        }
        try readRun()
        return try next()
    }

    /// Reads the next run header (and an RLE run's value).
    private mutating func readRun() throws {
        guard position < bytes.count else { throw ParquetError("\(what): the run-length data ends early") }
        let header = try readPageVarint(bytes, &position, what: what)
        let count = header >> 1
        if header & 1 == 0 {
            guard count > 0, count <= UInt64(Int32.max) else {
                throw ParquetError("\(what): an RLE run of \(count) values")
            }
            let width = (bitWidth + 7) / 8
            guard width <= bytes.count - position else {
                throw ParquetError("\(what): the data ends inside an RLE run")
            }
            var v: UInt32 = 0
            for k in 0..<width { v |= UInt32(bytes[position + k]) << UInt32(8 * k) }
            position += width
            repeatsLeft = Int(count)
            repeatedValue = v
        } else {
            guard count > 0, count <= UInt64(Int32.max) / 8 else {
                throw ParquetError("\(what): a bit-packed run of \(count) groups")
            }
            let groupsBytes = Int(count) * bitWidth
            let available = min(groupsBytes, bytes.count - position)
            let values = bitWidth == 0 ? Int(count) * 8 : min(Int(count) * 8, available * 8 / bitWidth)
            guard values > 0 else { throw ParquetError("\(what): the data ends inside a bit-packed run") }
            packedLeft = values
            packedBit = position * 8
            position += available
        }
    }
}

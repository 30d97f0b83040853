import MDS

/// Where each column of one MDS sample lies in the sample's raw bytes, found without decoding any
/// of them: a reader takes the columns it needs as views (`MDSShard.sample` decodes every column
/// into arrays and a `JSONValue`, 10 bytes per token of a packed row where an export uses 4).
/// The layout is MDS's: the sizes of the variable-size columns (u32 each, in column order), then
/// every column's bytes in column order.
struct SampleColumns {
    let columns: [MDSColumn]
    /// The shard file and sample number of the sample being read, for errors.
    private var shard = ""
    private var sample = 0
    private(set) var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    private var ranges: [Range<Int>] = []
    /// Bytes of the sizes at the start of every sample: 4 per variable-size column.
    private let sizesBytes: Int

    init(columns: [MDSColumn]) {
        self.columns = columns
        sizesBytes = 4 * columns.filter { $0.encoding.fixedSize == nil }.count
        ranges.reserveCapacity(columns.count)
    }

    /// The column named `name`, nil when the sample has none.
    func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// How errors name the sample being read.
    var name: String { "\(shard) sample \(sample)" }

    /// Finds the columns of sample `index` of the shard file `shard`, whose bytes are `sample`; the
    /// views below are valid while `sample` is.
    mutating func locate(_ sample: UnsafeRawBufferPointer, shard: String, index: Int) throws {
        bytes = sample
        self.shard = shard
        self.sample = index
        ranges.removeAll(keepingCapacity: true)
        guard sizesBytes <= sample.count else { throw MDSError.format("\(name): sample truncated") }
        var sizeAt = 0
        var p = sizesBytes
        for column in columns {
            let size: Int
            if let fixed = column.encoding.fixedSize {
                size = fixed
            } else {
                size = Int(UInt32(littleEndian: sample.loadUnaligned(fromByteOffset: sizeAt, as: UInt32.self)))
                sizeAt += 4
            }
            guard size <= sample.count - p else {
                throw MDSError.format("\(name): column '\(column.name)' overruns the sample")
            }
            ranges.append(p..<(p + size))
            p += size
        }
    }

    func column(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[ranges[i]]) }

    /// The 8-byte `int` (or int64 / uint64 scalar) column `i`.
    func int64(_ i: Int) throws -> Int64 {
        let b = column(i)
        guard b.count == 8 else { throw MDSError.format("\(name): column '\(columns[i].name)' is not an int") }
        return Int64(littleEndian: b.loadUnaligned(as: Int64.self))
    }

    /// The elements of the one-dimensional `ndarray:<type>` column `i`, little-endian, as they lie.
    func array(_ i: Int, of type: MDSDType) throws -> LittleEndianArray {
        let column = columns[i], b = self.column(i)
        guard case .ndarray(let stored, let fixed) = column.encoding, stored == type else {
            throw MDSError.format("\(name): column '\(column.name)' is \(column.encoding.name), not ndarray:\(type)")
        }
        var start = 0
        if fixed == nil {
            // A variable-size ndarray starts with its shape: one byte (rank << 2 | width code), then the length.
            guard b.count >= 1, b[0] >> 2 == 1, b.count >= 1 + 1 << Int(b[0] & 3) else {
                throw MDSError.format("\(name): column '\(column.name)' is not a one-dimensional array")
            }
            start = 1 + 1 << Int(b[0] & 3)
        }
        let payload = UnsafeRawBufferPointer(rebasing: b[start...])
        guard payload.count % type.byteWidth == 0 else {
            throw MDSError.format("\(name): column '\(column.name)' has \(payload.count) bytes of \(type)")
        }
        if fixed == nil {
            var length: UInt64 = 0
            for k in 0..<(1 << Int(b[0] & 3)) { length |= UInt64(b[1 + k]) << (8 * k) }
            guard length == payload.count / type.byteWidth else {
                throw MDSError.format(
                    "\(name): column '\(column.name)' has \(payload.count) bytes for \(length) × \(type)")
            }
        }
        return LittleEndianArray(bytes: payload, width: type.byteWidth)
    }
}

/// Integers of one width stored little-endian back to back, read where they lie (unaligned).
struct LittleEndianArray {
    let bytes: UnsafeRawBufferPointer
    let width: Int

    var count: Int { bytes.count / width }

    /// Element `i` of a uint32 array.
    @inline(__always) func uint32(_ i: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
    }

    /// Element `i` of a uint16 array.
    @inline(__always) func uint16(_ i: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
    }

    /// Elements `range`.
    func slice(_ range: Range<Int>) -> LittleEndianArray {
        LittleEndianArray(
            bytes: UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound * width)..<(range.upperBound * width)]),
            width: width)
    }
}

/// A column chunk's dictionary page, decoded (PLAIN): the values that dictionary indices name.
struct ColumnDictionary {
    /// Keep `values` alive.
    let stored: OwnedBytes?
    let owner: OwnedBytes?
    let values: UnsafeRawBufferPointer
    let type: PhysicalType
    /// Bytes per value of a fixed-size type.
    let width: Int
    /// BYTE_ARRAY: where each value starts and how long it is.
    private(set) var starts: [Int] = []
    private(set) var lengths: [Int] = []
    let count: Int

    init(page: Page, column: LeafColumn) throws {
        guard page.header.encoding == .plain || page.header.encoding == .plainDictionary else {
            throw ParquetError("a dictionary page in \(page.header.encoding), not PLAIN")
        }
        stored = page.stored
        owner = page.owner
        values = page.values
        type = column.physicalType
        width = ColumnDictionary.width(of: column)
        let claimed = Int(page.header.numValues)
        guard claimed >= 0 else { throw ParquetError("a dictionary of \(claimed) values") }
        if type == .byteArray {
            var position = 0
            // Each entry takes at least its 4-byte length: the claim cannot reserve past the page.
            starts.reserveCapacity(min(claimed, values.count / 4))
            lengths.reserveCapacity(min(claimed, values.count / 4))
            for _ in 0..<claimed {
                guard values.count - position >= 4 else { throw ParquetError("the dictionary page ends early") }
                let n = Int(values.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian)
                position += 4
                guard n <= values.count - position else { throw ParquetError("a dictionary value runs past its page") }
                starts.append(position)
                lengths.append(n)
                position += n
            }
        } else {
            guard type != .boolean, width > 0, claimed <= values.count / width else {
                throw ParquetError("a dictionary of \(claimed) \(type) values in \(values.count) bytes")
            }
        }
        count = claimed
    }

    /// Bytes of one PLAIN value of a fixed-size type (0 for BYTE_ARRAY and BOOLEAN).
    static func width(of column: LeafColumn) -> Int {
        switch column.physicalType {
        case .int32, .float: 4
        case .int64, .double: 8
        case .int96: 12
        case .fixedLenByteArray: column.typeLength
        case .boolean, .byteArray: 0
        }
    }

    func withValue<T>(_ index: Int, _ body: (ParquetValue) throws -> T) throws -> T {
        guard index >= 0 && index < count else {
            throw ParquetError("dictionary index \(index) with \(count) values in the dictionary")
        }
        if type == .byteArray {
            let start = starts[index]
            return try body(.bytes(UnsafeRawBufferPointer(rebasing: values[start..<(start + lengths[index])])))
        }
        return try body(PlainValues.fixed(values, at: index * width, type: type, width: width))
    }
}

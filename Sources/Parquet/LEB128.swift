/// Unsigned LEB128 varints: Thrift's integers, and in page data RLE run headers and delta headers.
enum LEB128 {
    enum Result {
        case value(UInt64)
        case truncated
        case tooLong
    }

    /// The varint at `position` (advanced past it) of at most `maxBits` bits.
    @inline(__always)
    static func read(_ bytes: UnsafeRawBufferPointer, _ position: inout Int, maxBits: Int = 64) -> Result {
        var value: UInt64 = 0
        var shift = 0
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            let payload = UInt64(byte & 0x7F), room = maxBits - shift
            guard room > 0, room >= 7 || payload >> UInt64(room) == 0 else { return .tooLong }
            value |= payload << UInt64(shift)
            if byte & 0x80 == 0 { return .value(value) }
            shift += 7
        }
        return .truncated
    }
}

/// An unsigned LEB128 varint in page data; `what` names the data in errors.
@inline(__always)
func readPageVarint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int, what: StaticString) throws -> UInt64 {
    switch LEB128.read(bytes, &position) {
    case .value(let v): return v
    case .truncated: throw ParquetError("\(what): the data ends inside a varint")
    case .tooLong: throw ParquetError("\(what): a varint past 64 bits")
    }
}

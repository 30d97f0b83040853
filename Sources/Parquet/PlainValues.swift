/// Reading PLAIN values of fixed-size types.
enum PlainValues {
    /// The value of `type` at byte `offset` (the caller has checked `width` bytes are there).
    @inline(__always)
    static func fixed(_ bytes: UnsafeRawBufferPointer, at offset: Int, type: PhysicalType, width: Int) -> ParquetValue {
        switch type {
        case .int32: .int32(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .int64: .int64(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
        case .float: .float(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset,
                                                                                          as: UInt32.self))))
        case .double: .double(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset,
                                                                                             as: UInt64.self))))
        case .int96: .int96(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 12)]))
        case .fixedLenByteArray, .byteArray: .bytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + width)]))
        case .boolean: .boolean(bytes[offset] != 0)
        }
    }
}

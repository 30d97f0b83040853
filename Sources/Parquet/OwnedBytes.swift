/// Bytes the reader owns at a stable address (a column chunk as read, a decompressed page), so
/// decoders can walk them through raw pointers. Allocated uninitialised: only what a read or a
/// decompressor writes is ever touched, so a header that claims a huge size costs address space,
/// not memory, until data really fills it.
final class OwnedBytes {
    let buffer: UnsafeMutableRawBufferPointer

    init(count: Int) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        self.count = count
    }

    let count: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count]) }

    deinit { buffer.deallocate() }
}

/// Little-endian bit unpacking, as Parquet packs levels, dictionary indices and deltas (LSB first).
enum BitUnpacking {
    /// The `width`-bit value (width ≤ 64) at bit `offset` of `bytes`; bits past the end read as 0.
    @inline(__always)
    static func value(_ bytes: UnsafeRawBufferPointer, bitOffset: Int, width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        let start = bitOffset >> 3, shift = bitOffset & 7
        var low: UInt64
        if start + 8 <= bytes.count {
            low = bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)
        } else {
            low = 0
            var k = 0
            while k < 8 && start + k < bytes.count {
                low |= UInt64(bytes[start + k]) << UInt64(8 * k)
                k += 1
            }
        }
        var v = low >> UInt64(shift)
        if shift + width > 64, start + 8 < bytes.count {
            v |= UInt64(bytes[start + 8]) << UInt64(64 - shift)
        }
        return width == 64 ? v : v & ((1 << UInt64(width)) - 1)
    }
}

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

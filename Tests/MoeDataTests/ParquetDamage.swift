import Foundation

@testable import Parquet

/// Damages a valid Parquet file in one precise place, found with the reader's own Thrift decoder:
/// a footer field or a page header field rewritten in place (same byte length), page bytes
/// overwritten, the footer cut or its length made to lie.
struct ParquetDamage {
    var bytes: [UInt8]

    init(_ url: URL) throws {
        bytes = Array(try Data(contentsOf: url))
    }

    func write(_ url: URL) throws { try Data(bytes).write(to: url) }

    var footerLength: Int {
        bytes.suffix(8).prefix(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    }
    var footerStart: Int { bytes.count - 8 - footerLength }

    /// The decoded footer.
    func file() throws -> ParquetFile { try ParquetFile(input: InMemoryInput(bytes)) }

    /// File offset of the varint of ColumnMetaData field `field` for leaf `column` of `rowGroup`.
    func columnMetaField(rowGroup: Int, column: Int, field: Int16) throws -> Int {
        var found: Int?
        try bytes.withUnsafeBytes { raw in
            var r = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: raw[footerStart..<(bytes.count - 8)]))
            try r.readStruct { r, id, type in
                guard id == 4 else { return try r.skip(type) }
                var g = 0
                _ = try r.readList { r, _ in
                    defer { g += 1 }
                    try r.readStruct { r, id, type in
                        guard id == 1, g == rowGroup else { return try r.skip(type) }
                        var c = 0
                        _ = try r.readList { r, _ in
                            defer { c += 1 }
                            try r.readStruct { r, id, type in
                                guard id == 3, c == column else { return try r.skip(type) }
                                try r.readStruct { r, id, type in
                                    if id == field { found = footerStart + r.position }
                                    try r.skip(type)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard let found else { throw ParquetError("field \(field) not found") }
        return found
    }

    /// The first page of a chunk (its dictionary page, when it has one, where the text is): the
    /// offset of header field `field`'s varint, and where its body starts and ends.
    func firstPage(rowGroup: Int, column: Int, field: Int16 = 3) throws -> (field: Int, body: Range<Int>) {
        let (meta, _) = try file().chunk(rowGroup: rowGroup, column: column)
        let start = Int(meta.startOffset)
        var fieldOffset = 0
        var header = PageHeader()
        var bodyStart = 0
        try bytes.withUnsafeBytes { raw in
            var r = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: raw[start...]))
            header = try PageHeader.read(&r)
            bodyStart = start + r.position
            var again = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: raw[start...]))
            try again.readStruct { r, id, type in
                if id == field { fieldOffset = start + r.position }
                try r.skip(type)
            }
        }
        return (fieldOffset, bodyStart..<(bodyStart + Int(header.compressedSize)))
    }

    /// Rewrites the zigzag varint at `offset` to `value`, keeping its byte length (non-minimal
    /// encodings are valid LEB128).
    mutating func setVarint(at offset: Int, to value: Int64) {
        var length = 1
        while bytes[offset + length - 1] & 0x80 != 0 { length += 1 }
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for k in 0..<length {
            bytes[offset + k] = UInt8(v & 0x7F) | (k < length - 1 ? 0x80 : 0)
            v >>= 7
        }
    }

    /// The zigzag varint at `offset`.
    func varint(at offset: Int) -> Int64 {
        var v: UInt64 = 0, k = 0
        repeat {
            v |= UInt64(bytes[offset + k] & 0x7F) << UInt64(7 * k)
            k += 1
        } while bytes[offset + k - 1] & 0x80 != 0
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }
}

/// A decoder of the Thrift compact protocol over untrusted bytes, the encoding of Parquet's footer
/// and page headers. Every length is checked against the bytes that remain before anything is read
/// or reserved, nesting is limited, and varints longer than their type allows are errors, so no
/// input can make it read out of bounds, allocate more than the input's size, or recurse deeply.
struct ThriftCompactReader {
    /// Compact-protocol type codes of fields and collection elements.
    enum FieldType: UInt8 {
        case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
        case binary = 8, list = 9, set = 10, map = 11, structure = 12
    }

    /// Deeper nesting than Parquet's metadata ever uses (about 6 levels) is taken as hostile.
    static let maxDepth = 64

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    func error(_ what: String) -> ParquetError {
        ParquetError("malformed Thrift metadata at byte \(position): \(what)")
    }

    mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw error("the metadata ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned LEB128 varint of at most `maxBits` bits.
    mutating func readVarint(maxBits: Int = 64) throws -> UInt64 {
        switch LEB128.read(bytes, &position, maxBits: maxBits) {
        case .value(let v): return v
        case .truncated: throw error("the metadata ends early")
        case .tooLong: throw error("a varint longer than \(maxBits) bits")
        }
    }

    static func zigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1))) }

    mutating func readI64() throws -> Int64 { Self.zigzag(try readVarint(maxBits: 64)) }

    mutating func readI32() throws -> Int32 {
        let v = Self.zigzag(try readVarint(maxBits: 32))
        guard let narrow = Int32(exactly: v) else { throw error("an i32 out of range") }
        return narrow
    }

    mutating func readI16() throws -> Int16 {
        let v = Self.zigzag(try readVarint(maxBits: 16))
        guard let narrow = Int16(exactly: v) else { throw error("an i16 out of range") }
        return narrow
    }

    /// A non-negative length, at most the bytes that remain (every element takes at least one).
    mutating func readLength() throws -> Int {
        let v = try readVarint(maxBits: 32)
        guard v <= UInt64(remaining) else { throw error("a length of \(v) with \(remaining) bytes left") }
        return Int(v)
    }

    mutating func readBinary() throws -> UnsafeRawBufferPointer {
        let n = try readLength()
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    /// A string field; bytes that are not UTF-8 are replaced (names are only compared and shown).
    mutating func readString() throws -> String {
        String(decoding: try readBinary(), as: UTF8.self)
    }

    /// The value of a bool field: compact Thrift stores it in the field's type code.
    func bool(_ type: FieldType) throws -> Bool {
        switch type {
        case .boolTrue: return true
        case .boolFalse: return false
        default: throw error("a bool field of type \(type)")
        }
    }

    /// Reads a struct: `field` is called with each field's id and type and reads the field's value
    /// (or calls `skip`). Fields it does not know must be skipped by it, so unknown fields of newer
    /// writers pass.
    mutating func readStruct(_ field: (inout ThriftCompactReader, Int16, FieldType) throws -> Void) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw error("structures nested more than \(Self.maxDepth) deep") }
        var lastId: Int16 = 0
        while true {
            let header = try readByte()
            guard let type = FieldType(rawValue: header & 0x0F) else { throw error("field type \(header & 0x0F)") }
            if type == .stop { return }
            let delta = Int16(header >> 4)
            let id = delta == 0 ? try readI16() : lastId &+ delta
            lastId = id
            let before = position
            try field(&self, id, type)
            // A field reader that read nothing for a field with a value would loop on garbage.
            if position == before && type != .boolTrue && type != .boolFalse { try skip(type) }
        }
    }

    /// Reads a struct of a type that decodes its own fields.
    mutating func read<T: ThriftDecodable>(_ type: T.Type) throws -> T {
        var value = T()
        try readStruct { r, id, type in try value.decodeField(id, type, from: &r) }
        return value
    }

    /// The header of a list or set: element type and count (the count checked against the bytes left).
    mutating func readListHeader() throws -> (FieldType, Int) {
        let header = try readByte()
        guard let type = FieldType(rawValue: header & 0x0F) else { throw error("element type \(header & 0x0F)") }
        let short = Int(header >> 4)
        let count = short == 15 ? try readLength() : short
        guard count <= remaining else { throw error("a list of \(count) elements with \(remaining) bytes left") }
        return (type, count)
    }

    /// Reads a list whose elements `element` reads one by one.
    mutating func readList<T>(_ element: (inout ThriftCompactReader, FieldType) throws -> T) throws -> [T] {
        let (type, count) = try readListHeader()
        var out: [T] = []
        // The count is checked against the bytes left, not yet against what they decode to.
        out.reserveCapacity(min(count, 4096))
        for _ in 0..<count { out.append(try element(&self, type)) }
        return out
    }

    mutating func readI32List() throws -> [Int32] {
        try readList { reader, type in
            guard type == .i32 else { throw reader.error("a list of \(type) where i32 were expected") }
            return try reader.readI32()
        }
    }

    mutating func readStringList() throws -> [String] {
        try readList { reader, type in
            guard type == .binary else { throw reader.error("a list of \(type) where strings were expected") }
            return try reader.readString()
        }
    }

    /// Skips one value of `type`, however nested.
    mutating func skip(_ type: FieldType) throws {
        switch type {
        case .stop: throw error("a stop where a value was expected")
        case .boolTrue, .boolFalse: return
        case .byte: _ = try readByte()
        case .i16, .i32, .i64: _ = try readVarint()
        case .double:
            guard remaining >= 8 else { throw error("the metadata ends early") }
            position += 8
        case .binary: _ = try readBinary()
        case .list, .set:
            let (element, count) = try readListHeader()
            try nested {
                for _ in 0..<count {
                    // Booleans in lists take one byte each.
                    try $0.skipElement(element)
                }
            }
        case .map:
            let count = try readLength()
            guard count > 0 else { return }
            let types = try readByte()
            guard let key = FieldType(rawValue: types >> 4), let value = FieldType(rawValue: types & 0x0F) else {
                throw error("map element types \(types)")
            }
            try nested {
                for _ in 0..<count {
                    try $0.skipElement(key)
                    try $0.skipElement(value)
                }
            }
        case .structure: try readStruct { reader, _, type in try reader.skip(type) }
        }
    }

    private mutating func skipElement(_ type: FieldType) throws {
        if type == .boolTrue || type == .boolFalse { _ = try readByte() } else { try skip(type) }
    }

    private mutating func nested(_ body: (inout ThriftCompactReader) throws -> Void) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw error("collections nested more than \(Self.maxDepth) deep") }
        try body(&self)
    }
}

/// What a column's values mean beyond their physical type: parquet.thrift's `LogicalType`, or the
/// older `ConvertedType` mapped onto it when a writer gives only that.
public enum LogicalType: Sendable, Equatable {
    public enum TimeUnit: Sendable, Equatable, CustomStringConvertible {
        case millis, micros, nanos
        public var description: String {
            switch self {
            case .millis: "milliseconds"
            case .micros: "microseconds"
            case .nanos: "nanoseconds"
            }
        }
    }

    case string
    case enumeration
    case json
    case bson
    case uuid
    case date
    case decimal(scale: Int, precision: Int)
    case time(TimeUnit)
    case timestamp(TimeUnit)
    case integer(bitWidth: Int, signed: Bool)
    case float16
    /// MAP, LIST, INTERVAL and types newer than this reader: kept as the physical type.
    case other(String)

    /// The `ConvertedType` code of a schema element, as a logical type (`scale` for DECIMAL).
    static func converted(_ code: Int32, scale: Int32?, precision: Int32?) -> LogicalType? {
        switch code {
        case 0: return .string
        case 4: return .enumeration
        case 5: return .decimal(scale: Int(scale ?? 0), precision: Int(precision ?? 0))
        case 6: return .date
        case 7: return .time(.millis)
        case 8: return .time(.micros)
        case 9: return .timestamp(.millis)
        case 10: return .timestamp(.micros)
        case 11, 12, 13, 14: return .integer(bitWidth: 8 << Int(code - 11), signed: false)
        case 15, 16, 17, 18: return .integer(bitWidth: 8 << Int(code - 15), signed: true)
        case 19: return .json
        case 20: return .bson
        case 1, 2: return .other("MAP")
        case 3: return .other("LIST")
        case 21: return .other("INTERVAL")
        default: return nil
        }
    }

    /// Reads the `LogicalType` union.
    static func read(_ reader: inout ThriftCompactReader) throws -> LogicalType? {
        var result: LogicalType?
        try reader.readStruct { r, id, type in
            guard type == .structure else { return try r.skip(type) }
            switch id {
            case 1: result = .string; try r.skip(type)
            case 2: result = .other("MAP"); try r.skip(type)
            case 3: result = .other("LIST"); try r.skip(type)
            case 4: result = .enumeration; try r.skip(type)
            case 5: result = try readDecimal(&r)
            case 6: result = .date; try r.skip(type)
            case 7: result = .time(try readUnit(&r))
            case 8: result = .timestamp(try readUnit(&r))
            case 10: result = try readInteger(&r)
            case 11: result = .other("NULL"); try r.skip(type)
            case 12: result = .json; try r.skip(type)
            case 13: result = .bson; try r.skip(type)
            case 14: result = .uuid; try r.skip(type)
            case 15: result = .float16; try r.skip(type)
            default: result = .other("logical type \(id)"); try r.skip(type)
            }
        }
        return result
    }

    private static func readDecimal(_ r: inout ThriftCompactReader) throws -> LogicalType {
        var scale: Int32 = 0, precision: Int32 = 0
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): scale = try r.readI32()
            case (2, .i32): precision = try r.readI32()
            default: try r.skip(type)
            }
        }
        return .decimal(scale: Int(scale), precision: Int(precision))
    }

    /// TIME and TIMESTAMP: field 1 isAdjustedToUTC, field 2 the `TimeUnit` union.
    private static func readUnit(_ r: inout ThriftCompactReader) throws -> TimeUnit {
        var unit = TimeUnit.millis
        try r.readStruct { r, id, type in
            guard id == 2, type == .structure else { return try r.skip(type) }
            try r.readStruct { r, id, type in
                switch id {
                case 2: unit = .micros
                case 3: unit = .nanos
                default: unit = .millis
                }
                try r.skip(type)
            }
        }
        return unit
    }

    private static func readInteger(_ r: inout ThriftCompactReader) throws -> LogicalType {
        var bits = 64, signed = true
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .byte): bits = Int(Int8(bitPattern: try r.readByte()))
            case (2, .boolTrue), (2, .boolFalse): signed = try r.bool(type)
            default: try r.skip(type)
            }
        }
        return .integer(bitWidth: bits, signed: signed)
    }
}

import JSON

/// Element types of MDS `ndarray` columns and scalar columns, with mosaicml-streaming's codes.
public enum MDSDType: String, Sendable, CaseIterable {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64

    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        }
    }

    /// The one-byte dtype code used when an ndarray's dtype is dynamic.
    public var code: UInt8 {
        switch self {
        case .uint8: return 8
        case .int8: return 9
        case .uint16: return 16
        case .int16: return 17
        case .uint32: return 32
        case .int32: return 33
        case .float32: return 34
        case .uint64: return 64
        case .int64: return 65
        case .float64: return 66
        }
    }
}

/// A column encoding as written in `index.json` (`ndarray:uint32`, `ndarray:uint8:2048`, `str`, ...).
public enum MDSEncoding: Sendable, Equatable {
    /// One-dimensional array with a static dtype; `count` fixes its length (static shape).
    case ndarray(MDSDType, count: Int?)
    case str
    case json
    case bytes
    /// `int` is MDS's 8-byte int64.
    case int
    case scalar(MDSDType)

    public var name: String {
        switch self {
        case .ndarray(let t, let n): return n.map { "ndarray:\(t.rawValue):\($0)" } ?? "ndarray:\(t.rawValue)"
        case .str: return "str"
        case .json: return "json"
        case .bytes: return "bytes"
        case .int: return "int"
        case .scalar(let t): return t.rawValue
        }
    }

    /// Size in bytes when fixed; nil for variable-size encodings.
    public var fixedSize: Int? {
        switch self {
        case .ndarray(let t, let n): return n.map { $0 * t.byteWidth }
        case .int: return 8
        case .scalar(let t): return t.byteWidth
        case .str, .json, .bytes: return nil
        }
    }

    public init(name: String) throws {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "str": self = .str
        case "json": self = .json
        case "bytes": self = .bytes
        case "int": self = .int
        case "ndarray":
            guard parts.count >= 2, let t = MDSDType(rawValue: parts[1]) else {
                throw MDSError.format("unsupported encoding '\(name)' (this reader needs ndarray with a static dtype)")
            }
            if parts.count == 3 {
                // A sample lives between two 32-bit offsets, so a larger shape cannot be right; without the
                // bound, `fixedSize` (n × width) overflowed and trapped on a hostile index.json.
                guard let n = Int(parts[2]), n > 0, n <= Int(UInt32.max) / t.byteWidth else {
                    throw MDSError.format("unsupported ndarray shape in '\(name)'")
                }
                self = .ndarray(t, count: n)
            } else if parts.count == 2 {
                self = .ndarray(t, count: nil)
            } else {
                throw MDSError.format("unsupported encoding '\(name)'")
            }
        default:
            guard parts.count == 1, let t = MDSDType(rawValue: parts[0]) else {
                throw MDSError.format("unsupported encoding '\(name)'")
            }
            self = .scalar(t)
        }
    }
}

/// One value of a sample. Arrays are kept as typed Swift arrays.
public enum MDSValue: Sendable, Equatable {
    case uint8s([UInt8])
    case uint16s([UInt16])
    case int32s([Int32])
    case uint32s([UInt32])
    case float32s([Float])
    case string(String)
    case json(JSONValue)
    case bytes([UInt8])
    case int(Int64)
    case uint32(UInt32)
    case uint64(UInt64)

    public var uint32s: [UInt32]? { if case .uint32s(let a) = self { return a }; return nil }
    public var uint16s: [UInt16]? { if case .uint16s(let a) = self { return a }; return nil }
    public var uint8s: [UInt8]? { if case .uint8s(let a) = self { return a }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var json: JSONValue? { if case .json(let j) = self { return j }; return nil }
    public var int: Int64? { if case .int(let i) = self { return i }; return nil }
}

public struct MDSColumn: Sendable, Equatable {
    public let name: String
    public let encoding: MDSEncoding
    public init(_ name: String, _ encoding: MDSEncoding) {
        self.name = name
        self.encoding = encoding
    }
}

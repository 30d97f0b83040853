import Foundation

/// A JSON value with a canonical encoder that matches Python's `json.dumps(obj, sort_keys=True)`:
/// keys sorted, `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`. Using one encoder
/// for every JSON file we write keeps outputs byte-identical across runs and platforms
/// (Foundation's encoder escapes `/` and orders keys differently on Linux).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public func encoded() -> String {
        var out: [UInt8] = []
        encode(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical encoding to `out` as UTF-8 (pure ASCII: every other scalar is escaped).
    /// Bytes rather than a `String`, because a build encodes a provenance value per packed row and
    /// a string's appends cost more than the rest of the row's encoding.
    public func encode(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: Self.nullBytes)
        case .bool(let b): out.append(contentsOf: b ? Self.trueBytes : Self.falseBytes)
        case .int(let i): out.append(contentsOf: String(i).utf8)  // a small string: no allocation
        case .double(let d):
            let text: String
            if d.isFinite, d == d.rounded(), abs(d) < 1e15 {
                text = String(format: "%.1f", d)
            } else if d.isFinite {
                text = "\(d)"
            } else {
                text = "null"
            }
            out.append(contentsOf: text.utf8)
        case .string(let s): JSONValue.encodeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(contentsOf: Self.itemSeparator) }
                item.encode(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let dict):
            out.append(UInt8(ascii: "{"))
            for (i, entry) in dict.sorted(by: { JSONValue.pythonKeyOrder($0.key, $1.key) }).enumerated() {
                if i > 0 { out.append(contentsOf: Self.itemSeparator) }
                JSONValue.encodeString(entry.key, into: &out)
                out.append(contentsOf: Self.keySeparator)
                entry.value.encode(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let itemSeparator = Array(", ".utf8)
    private static let keySeparator = Array(": ".utf8)

    /// Python sorts str keys by code point. UTF-8 preserves code point order, so comparing the
    /// bytes gives the same order without decoding scalars.
    static func pythonKeyOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func encodeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings (names, document ids) are printable ASCII with nothing to escape: one copy.
        let plain = s.utf8.allSatisfy {
            $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
        }
        if plain {
            out.append(contentsOf: s.utf8)
        } else {
            for scalar in s.unicodeScalars { appendEscaped(scalar, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        func ascii(_ text: String) { out.append(contentsOf: text.utf8) }
        switch scalar {
        case "\"": ascii("\\\"")
        case "\\": ascii("\\\\")
        case "\n": ascii("\\n")
        case "\r": ascii("\\r")
        case "\t": ascii("\\t")
        case "\u{08}": ascii("\\b")
        case "\u{0C}": ascii("\\f")
        default:
            if scalar.value < 0x20 || scalar.value > 0x7E {
                if scalar.value > 0xFFFF {
                    let v = scalar.value - 0x10000
                    ascii(String(format: "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)))
                } else {
                    ascii(String(format: "\\u%04x", scalar.value))
                }
            } else {
                out.append(UInt8(scalar.value))
            }
        }
    }

    /// Parses one complete JSON text.
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            let value = try parser.parseValue()
            try parser.expectEnd()
            return value
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let d) = self { return d[key] }
        return nil
    }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        default: return nil
        }
    }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
}

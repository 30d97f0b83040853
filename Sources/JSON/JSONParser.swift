import Foundation

/// A JSON syntax error with the byte offset where it was found.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes. It validates UTF-8 inside strings and can
/// extract a few top-level keys of an object while skipping (but still validating) the rest,
/// which is what a JSONL reader needs: the text field and some metadata, fast.
public struct JSONParser {
    let base: UnsafeRawBufferPointer
    public private(set) var pos: Int = 0
    /// Arrays and objects open around the cursor. Values are parsed recursively, so without a
    /// cap a line of `[[[[...` a few hundred KB long overflowed the stack.
    private var depth = 0
    /// Deeper nesting is refused; no JSON we read (JSONL records, index.json) comes close.
    public static let maxDepth = 512

    public init(_ bytes: UnsafeRawBufferPointer) { self.base = bytes }

    @inline(__always) func peek() -> UInt8? { pos < base.count ? base[pos] : nil }
    /// The byte at the cursor, or nil at the end.
    @inline(__always) public func peekByte() -> UInt8? { peek() }
    /// Moves the cursor forward by `n` bytes.
    @inline(__always) public mutating func advance(_ n: Int) { pos += n }

    func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: pos, reason: reason) }

    @inline(__always) public mutating func skipWhitespace() {
        while pos < base.count {
            let c = base[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    public mutating func expectEnd() throws {
        skipWhitespace()
        if pos != base.count { throw fail("unexpected trailing data") }
    }

    public mutating func parseValue() throws -> JSONValue {
        skipWhitespace()
        guard let c = peek() else { throw fail("unexpected end of input") }
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
            guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
            depth += 1
        }
        defer { if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth -= 1 } }
        switch c {
        case UInt8(ascii: "{"):
            pos += 1
            var dict: [String: JSONValue] = [:]
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { pos += 1; return .object(dict) }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw fail("expected ':'") }
                pos += 1
                dict[key] = try parseValue()
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { pos += 1; continue }
                if peek() == UInt8(ascii: "}") { pos += 1; return .object(dict) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            pos += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                items.append(try parseValue())
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { pos += 1; continue }
                if peek() == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try parseNumber()
        }
    }

    /// Skips one value, validating it, without building it.
    public mutating func skipValue() throws {
        skipWhitespace()
        guard let c = peek() else { throw fail("unexpected end of input") }
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            _ = try parseValue()
        case UInt8(ascii: "\""):
            try scanString(into: nil)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try parseNumber()
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard pos + n <= base.count else { throw fail("unexpected end of input") }
        for i in 0..<n where base[pos + i] != word.utf8Start[i] { throw fail("invalid literal") }
        pos += n
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = pos
        if peek() == UInt8(ascii: "-") { pos += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { throw fail("invalid value") }
        if first == 0x30 { pos += 1 } else { while let d = peek(), d >= 0x30, d <= 0x39 { pos += 1 } }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard let d = peek(), d >= 0x30, d <= 0x39 else { throw fail("digit expected after '.'") }
            while let d = peek(), d >= 0x30, d <= 0x39 { pos += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { pos += 1 }
            guard let d = peek(), d >= 0x30, d <= 0x39 else { throw fail("digit expected in exponent") }
            while let d = peek(), d >= 0x30, d <= 0x39 { pos += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: base[start..<pos]), as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw JSONSyntaxError(offset: start, reason: "invalid number") }
        return .double(d)
    }

    public mutating func parseString() throws -> String {
        var bytes: [UInt8] = []
        try scanString(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a string into raw UTF-8 bytes appended to `out` (validated).
    public mutating func parseStringBytes(into out: inout [UInt8]) throws {
        try scanString(into: &out)
    }

    mutating func scanString(into out: UnsafeMutablePointer<[UInt8]>?) throws {
        pos += 1  // opening quote
        while true {
            // Fast path: copy a run of plain ASCII.
            let runStart = pos
            while pos < base.count {
                let c = base[pos]
                if c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x80 { break }
                pos += 1
            }
            if let out, pos > runStart {
                out.pointee.append(contentsOf: UnsafeRawBufferPointer(rebasing: base[runStart..<pos]))
            }
            guard pos < base.count else { throw fail("unterminated string") }
            let c = base[pos]
            if c == 0x22 { pos += 1; return }
            if c < 0x20 { throw fail("control character in string") }
            if c == 0x5C {
                pos += 1
                guard let e = peek() else { throw fail("unterminated escape") }
                pos += 1
                var scalar: UInt32
                switch e {
                case UInt8(ascii: "\""): scalar = 0x22
                case UInt8(ascii: "\\"): scalar = 0x5C
                case UInt8(ascii: "/"): scalar = 0x2F
                case UInt8(ascii: "b"): scalar = 0x08
                case UInt8(ascii: "f"): scalar = 0x0C
                case UInt8(ascii: "n"): scalar = 0x0A
                case UInt8(ascii: "r"): scalar = 0x0D
                case UInt8(ascii: "t"): scalar = 0x09
                case UInt8(ascii: "u"):
                    scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard pos + 1 < base.count, base[pos] == 0x5C, base[pos + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in \\u escape")
                        }
                        pos += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("invalid low surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw fail("unpaired low surrogate in \\u escape")
                    }
                default: throw fail("invalid escape")
                }
                if let out { appendUTF8(scalar, to: out) }
                continue
            }
            // Multi-byte UTF-8 sequence: validate.
            let len = try validateUTF8Sequence(at: pos)
            if let out { out.pointee.append(contentsOf: UnsafeRawBufferPointer(rebasing: base[pos..<(pos + len)])) }
            pos += len
        }
    }

    mutating func scanString(into out: inout [UInt8]) throws {
        try withUnsafeMutablePointer(to: &out) { try scanString(into: $0) }
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= base.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    /// Returns the length of the valid UTF-8 sequence at `i`, or throws "invalid UTF-8".
    public func validateUTF8Sequence(at i: Int) throws -> Int {
        let b0 = base[i]
        func cont(_ k: Int) -> UInt8? { i + k < base.count ? base[i + k] : nil }
        func isCont(_ b: UInt8?) -> Bool { if let b { return b & 0xC0 == 0x80 }; return false }
        switch b0 {
        case 0xC2...0xDF:
            if isCont(cont(1)) { return 2 }
        case 0xE0:
            if let b1 = cont(1), b1 >= 0xA0, b1 <= 0xBF, isCont(cont(2)) { return 3 }
        case 0xE1...0xEC, 0xEE...0xEF:
            if isCont(cont(1)), isCont(cont(2)) { return 3 }
        case 0xED:
            if let b1 = cont(1), b1 >= 0x80, b1 <= 0x9F, isCont(cont(2)) { return 3 }
        case 0xF0:
            if let b1 = cont(1), b1 >= 0x90, b1 <= 0xBF, isCont(cont(2)), isCont(cont(3)) { return 4 }
        case 0xF1...0xF3:
            if isCont(cont(1)), isCont(cont(2)), isCont(cont(3)) { return 4 }
        case 0xF4:
            if let b1 = cont(1), b1 >= 0x80, b1 <= 0x8F, isCont(cont(2)), isCont(cont(3)) { return 4 }
        default: break
        }
        throw JSONSyntaxError(offset: i, reason: "invalid UTF-8")
    }
}

@inline(__always) func appendUTF8(_ scalar: UInt32, to out: UnsafeMutablePointer<[UInt8]>) {
    switch scalar {
    case 0..<0x80: out.pointee.append(UInt8(scalar))
    case 0x80..<0x800:
        out.pointee.append(UInt8(0xC0 | (scalar >> 6)))
        out.pointee.append(UInt8(0x80 | (scalar & 0x3F)))
    case 0x800..<0x10000:
        out.pointee.append(UInt8(0xE0 | (scalar >> 12)))
        out.pointee.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.pointee.append(UInt8(0x80 | (scalar & 0x3F)))
    default:
        out.pointee.append(UInt8(0xF0 | (scalar >> 18)))
        out.pointee.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
        out.pointee.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.pointee.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}

import JSON
import Parquet

/// A kept column's value as it goes into a document's `meta`, by its logical type: strings as
/// strings; integers (signed or not, DATE, TIME, TIMESTAMP in the column's own unit, INT96 as
/// nanoseconds since the Unix epoch) as integers; floats as numbers (NaN and infinities as null);
/// booleans; DECIMAL as a decimal string; UUID in its 8-4-4-4-12 form; nulls as null.
enum ParquetJSON {
    enum Failure: Error {
        /// Bytes of a column that must be text are not UTF-8.
        case notUTF8
    }

    static func value(_ value: ParquetValue, column: LeafColumn) throws -> JSONValue {
        switch value {
        case .null: return .null
        case .boolean(let b): return .bool(b)
        case .int32(let i): return integer(Int64(i), unsigned: UInt64(UInt32(bitPattern: i)), column)
        case .int64(let i): return integer(i, unsigned: UInt64(bitPattern: i), column)
        case .int96(let bytes): return .int(int96Nanoseconds(bytes))
        case .float(let f): return f.isFinite ? .double(Double(f)) : .null
        case .double(let d): return d.isFinite ? .double(d) : .null
        case .bytes(let bytes): return try self.bytes(bytes, column)
        }
    }

    private static func integer(_ signed: Int64, unsigned: UInt64, _ column: LeafColumn) -> JSONValue {
        switch column.logicalType {
        case .decimal(let scale, _): return .string(decimalText(signed.magnitude, negative: signed < 0, scale: scale))
        case .integer(_, signed: false):
            return unsigned <= UInt64(Int64.max) ? .int(Int64(unsigned)) : .string(String(unsigned))
        default: return .int(signed)
        }
    }

    /// INT96 timestamps (Impala, old Spark): nanoseconds of the day, then the Julian day number.
    static func int96Nanoseconds(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        let nanos = Int64(littleEndian: bytes.loadUnaligned(as: Int64.self))
        let julianDay = Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int32.self)))
        return (julianDay - 2_440_588) &* 86_400_000_000_000 &+ nanos
    }

    private static func bytes(_ bytes: UnsafeRawBufferPointer, _ column: LeafColumn) throws -> JSONValue {
        switch column.logicalType {
        case .decimal(let scale, _): return .string(decimalText(bigEndian: bytes, scale: scale))
        case .uuid where bytes.count == 16:
            let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
            let groups = [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }
            return .string(groups.joined(separator: "-"))
        case .float16 where bytes.count == 2:
            let half = Float16(bitPattern: UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
            return half.isFinite ? .double(Double(half)) : .null
        default:
            let array = Array(bytes)
            guard firstInvalidUTF8(array) == nil else { throw Failure.notUTF8 }
            return .string(String(decoding: array, as: UTF8.self))
        }
    }

    /// A DECIMAL's unscaled big-endian two's complement bytes, as text with `scale` decimals.
    static func decimalText(bigEndian bytes: UnsafeRawBufferPointer, scale: Int) -> String {
        let negative = (bytes.first ?? 0) & 0x80 != 0
        // Magnitude as 32-bit limbs, most significant first.
        var magnitude = bytes.map { negative ? ~$0 : $0 }
        if negative {  // two's complement: invert, add one
            var k = magnitude.count - 1
            while k >= 0 {
                magnitude[k] &+= 1
                if magnitude[k] != 0 { break }
                k -= 1
            }
        }
        var limbs: [UInt32] = []
        var word: UInt32 = 0
        for (i, byte) in magnitude.enumerated() {
            word = word << 8 | UInt32(byte)
            if (magnitude.count - 1 - i) % 4 == 0 {
                limbs.append(word)
                word = 0
            }
        }
        var digits = ""
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for k in limbs.indices {
                let current = remainder << 32 | UInt64(limbs[k])
                limbs[k] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            let chunk = String(remainder)
            digits = (limbs.contains { $0 != 0 } ? String(repeating: "0", count: 9 - chunk.count) : "") + chunk + digits
        }
        return placePoint(digits.isEmpty ? "0" : digits, negative: negative, scale: scale)
    }

    static func decimalText(_ magnitude: UInt64, negative: Bool, scale: Int) -> String {
        placePoint(String(magnitude), negative: negative, scale: scale)
    }

    /// "12345" with scale 2 → "123.45"; scale 4 → "1.2345"; scale 6 → "0.012345"; scale -2 → "1234500".
    private static func placePoint(_ digits: String, negative: Bool, scale: Int) -> String {
        var text = digits
        if scale > 0 {
            if text.count <= scale { text = String(repeating: "0", count: scale - text.count + 1) + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -scale))
        } else if scale < 0 && text != "0" {
            text += String(repeating: "0", count: min(-scale, 1000))
        }
        return negative && digits != "0" ? "-" + text : text
    }
}

/// JSON numbers as the tokenizers library reads them: serde_json without its `float_roundtrip`
/// feature, which is not correctly rounded. The digits are gathered into a u64 (digits past its
/// range dropped) and the result is that integer as a double multiplied or divided by a power of ten,
/// one rounding each: 1 ULP off the true value for about one Unigram score in seven, which decides the
/// ties between equal segmentations (runs of one repeated character).
enum SerdeFloat {
    private static let powersOfTen: [Double] = (0...308).map { Double("1e\($0)") ?? .infinity }

    /// The value of the JSON number `text`, or nil when it is not one.
    static func parse(_ text: ArraySlice<UInt8>) -> Double? {
        var i = text.startIndex
        let negative = i < text.endIndex && text[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var significand: UInt64 = 0
        var exponent = 0
        var overflowed = false
        var digits = 0
        func isDigit(_ k: Int) -> Bool { k < text.endIndex && text[k] >= 0x30 && text[k] <= 0x39 }
        // Digits past u64's range are dropped; before the point each dropped one scales by ten.
        func take(_ k: Int, fraction: Bool) {
            let d = UInt64(text[k] - 0x30)
            if !overflowed && (significand > UInt64.max / 10 || (significand == UInt64.max / 10 && d > UInt64.max % 10))
            {
                overflowed = true
            }
            if overflowed {
                if !fraction { exponent += 1 }
            } else {
                significand = significand * 10 + d
                if fraction { exponent -= 1 }
            }
            digits += 1
        }
        while isDigit(i) {
            take(i, fraction: false)
            i += 1
        }
        guard digits > 0 else { return nil }
        if i < text.endIndex && text[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return nil }
            while isDigit(i) {
                take(i, fraction: true)
                i += 1
            }
        }
        if i < text.endIndex && (text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E")) {
            i += 1
            var positiveExponent = true
            if i < text.endIndex && (text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-")) {
                positiveExponent = text[i] == UInt8(ascii: "+")
                i += 1
            }
            guard isDigit(i) else { return nil }
            var e = 0
            while isDigit(i) {
                e = min(e * 10 + Int(text[i] - 0x30), 1 << 30)
                i += 1
            }
            exponent += positiveExponent ? e : -e
        }
        guard i == text.endIndex else { return nil }
        var f = Double(significand)
        while true {
            if abs(exponent) < powersOfTen.count {
                f = exponent >= 0 ? f * powersOfTen[exponent] : f / powersOfTen[-exponent]
                break
            }
            if f == 0 || exponent >= 0 { break }
            f /= 1e308
            exponent += 308
        }
        return negative ? -f : f
    }
}

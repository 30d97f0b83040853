/// A whole number written with an optional unit suffix (`64MiB`, `20M`, `1.1T`), read exactly:
/// digits with `_` separators and at most one `.`, never through a Double, so `1.1T` is
/// 1_100_000_000_000 and `1e30MB` or `nanMB` are no numbers. Byte sizes (`ByteSize`) and token
/// counts (`TokenCount`) share this reading and differ in their units and in what a fraction
/// that does not come out whole means.
enum ScaledNumber {
    /// What to do with a fraction of a unit that does not land on a whole number (`0.3KiB`).
    /// Without a unit, such a fraction is never a number (`1.5` is no count of bytes or tokens).
    enum Remainder {
        /// Round down to the whole number below (byte sizes).
        case roundDown
        /// Not a number of this kind (token counts: `1.0005K` is no count of tokens).
        case refuse
    }

    /// `raw` as number × unit, or nil when it is not one or exceeds Int.max. Suffixes are matched
    /// without regard to case, the longest first; spaces may stand between number and unit.
    static func parse(_ raw: String, units: [(suffix: String, scale: Int)], remainder: Remainder) -> Int? {
        var text = Substring(raw.replacingOccurrences(of: "_", with: "").trimmingCharacters(in: .whitespaces))
        var scale = 1
        for (suffix, unit) in units.sorted(by: { $0.suffix.count > $1.suffix.count })
        where text.count > suffix.count && text.suffix(suffix.count).lowercased() == suffix.lowercased() {
            scale = unit
            text = text.dropLast(suffix.count)
            while text.last == " " || text.last == "\t" { text = text.dropLast() }
            break
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCII),
            let wholeValue = Int(whole), wholeValue >= 0
        else { return nil }
        var (value, overflow) = wholeValue.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        guard parts.count == 2 else { return value }
        let fraction = parts[1]
        guard !fraction.isEmpty, fraction.count <= 18, fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
            let numerator = Int(fraction)
        else { return nil }
        var denominator = 1
        for _ in 0..<fraction.count { denominator *= 10 }
        let (product, productOverflow) = numerator.multipliedReportingOverflow(by: scale)
        guard !productOverflow, product % denominator == 0 || (remainder == .roundDown && scale > 1) else { return nil }
        (value, overflow) = value.addingReportingOverflow(product / denominator)
        return overflow ? nil : value
    }
}

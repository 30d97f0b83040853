/// Token counts with decimal unit suffixes, parsed exactly (`1.1T` is 1_100_000_000_000, not a Double):
/// `780000000000`, `780_000_000_000`, `780B`, `1.1T`, `128K`. B (billion) and G mean the same; a
/// fraction must come out a whole number of tokens (`1.5K` is a count, `1.5` is not).
public enum TokenCount {
    static let units: [(suffix: String, scale: Int)] = [
        ("K", 1_000), ("M", 1_000_000), ("B", 1_000_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000),
    ]

    public static func parse(_ text: String) -> Int? {
        ScaledNumber.parse(text, units: units, remainder: .refuse)
    }

    /// `1.1T`, `780B`, `2.5M`, or the grouped number when no unit gives a short exact form.
    public static func format(_ n: Int) -> String {
        for (suffix, unit) in [("T", 1_000_000_000_000), ("B", 1_000_000_000), ("M", 1_000_000), ("K", 1_000)]
        where n >= unit && (n / unit < 1000 || suffix == "T") {
            for (decimals, step) in [(0, unit), (1, unit / 10), (2, unit / 100)] where n % step == 0 {
                let whole = n / unit
                guard decimals > 0 else { return "\(whole)\(suffix)" }
                let digits = String((n % unit) / step)
                return "\(whole).\(String(repeating: "0", count: max(0, decimals - digits.count)))\(digits)\(suffix)"
            }
        }
        return grouped(n)
    }

    /// `1,100,000` — thousands separators for tables.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }
}

/// Exact integer arithmetic the mixer needs beyond 64 bits.
///
/// Token budgets reach 10^12 and fixed-point weights 10^15, so products such as
/// `budget × weight` or `tokens × target` overflow `Int`. Floating point would round
/// them and make targets depend on evaluation order; these helpers keep every
/// proportion exact and identical on every machine.
enum WideArithmetic {
    /// An unsigned 128-bit value as (high, low) words; only what comparisons need.
    struct U128: Comparable {
        var high: UInt64
        var low: UInt64

        static func product(_ a: UInt64, _ b: UInt64) -> U128 {
            let (h, l) = a.multipliedFullWidth(by: b)
            return U128(high: h, low: l)
        }

        static func + (a: U128, b: U128) -> U128 {
            let (l, carry) = a.low.addingReportingOverflow(b.low)
            return U128(high: a.high &+ b.high &+ (carry ? 1 : 0), low: l)
        }

        static func < (a: U128, b: U128) -> Bool {
            a.high != b.high ? a.high < b.high : a.low < b.low
        }
    }

    /// `a × b / d` and its remainder, exactly; `nil` when the quotient does not fit 64 bits.
    static func mulDiv(_ a: UInt64, _ b: UInt64, _ d: UInt64) -> (quotient: UInt64, remainder: UInt64)? {
        precondition(d > 0, "mulDiv by zero")
        let (h, l) = a.multipliedFullWidth(by: b)
        guard h < d else { return nil }
        return d.dividingFullWidth((high: h, low: l))
    }

    /// `a × b / d` rounded half up, exactly; `nil` when it does not fit 64 bits.
    static func mulDivRounded(_ a: UInt64, _ b: UInt64, _ d: UInt64) -> UInt64? {
        guard let (q, r) = mulDiv(a, b, d) else { return nil }
        // r ≥ d - r  ⇔  r ≥ d/2 without overflowing 2r.
        return r >= d - r ? q + 1 : q
    }
}

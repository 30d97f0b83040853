import ArgumentParser
import Foundation
import MoeData

/// Range checks for numeric options, called from each command's `validate()` so a bad value is
/// refused before any file is read or written, with a sentence that names the option. Values are
/// never clamped: a value outside its range is a mistake the user should hear about.
enum OptionCheck {
    /// Upper bound of counts (rows, steps, tokens): far above any real run, far below overflow.
    static let maxCount = 1 << 40
    /// Upper bound of thread and job counts.
    static let maxThreads = 1024

    static func int(_ value: Int?, _ name: String, _ range: ClosedRange<Int>, _ why: String = "") throws {
        guard let value, !range.contains(value) else { return }
        let bounds =
            range.upperBound == maxCount
            ? "at least \(range.lowerBound)"
            : "between \(range.lowerBound) and \(range.upperBound)"
        throw ValidationError("\(name) \(value) must be \(bounds)\(why.isEmpty ? "" : " (\(why))")")
    }

    /// A finite number in `range`; `exclusiveLower` refuses the lower bound itself (e.g. a learning rate of 0).
    static func double(
        _ value: Double?, _ name: String, _ range: ClosedRange<Double>, exclusiveLower: Bool = false,
        _ why: String = ""
    ) throws {
        guard let value else { return }
        guard value.isFinite else { throw ValidationError("\(name) \(value) is not a finite number") }
        let aboveLow = exclusiveLower ? value > range.lowerBound : value >= range.lowerBound
        if aboveLow && value <= range.upperBound { return }
        let lowText = exclusiveLower ? "above \(format(range.lowerBound))" : "at least \(format(range.lowerBound))"
        throw ValidationError(
            "\(name) \(value) must be \(lowText) and at most \(format(range.upperBound))"
                + (why.isEmpty ? "" : " (\(why))"))
    }

    /// A token count such as 2000000, 2M or 1.1B, positive and at most `maximum`.
    static func tokenCount(_ text: String?, _ name: String, maximum: Int = 1_000_000_000_000_000) throws -> Int? {
        guard let text else { return nil }
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
            throw ValidationError("\(name) '\(text)' must be positive")
        }
        guard let n = TokenCount.parse(text) else {
            throw ValidationError("\(name) '\(text)' is not a token count (e.g. 2000000, 2M, 1.1B)")
        }
        guard n > 0 else { throw ValidationError("\(name) '\(text)' must be positive") }
        guard n <= maximum else {
            throw ValidationError("\(name) '\(text)' is more than \(TokenCount.format(maximum)) tokens")
        }
        return n
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

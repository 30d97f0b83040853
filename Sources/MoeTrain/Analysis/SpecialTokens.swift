import Foundation

/// The "special" token classes of the per-domain test of OpenMoE's explanation (§4.1: the math/arxiv
/// domain specializes more because it holds more special tokens). Classified from the piece's text with
/// SentencePiece's word-start mark `▁` removed, in this order:
/// - `byteFallback`: a byte piece `<0xHH>` (a character the vocabulary lacks);
/// - `digit`: only decimal digits (`1`, `2026`);
/// - `latex`: starts with a backslash, or holds `$`, `^`, `{` or `}` (`\frac`, `^{`, `$`);
/// - `punctuation`: only punctuation and symbol characters (`.`, `),`, `==`, `#`).
/// Anything else, and an empty piece, is not special.
public enum SpecialTokenClass: String, Sendable, CaseIterable {
    case byteFallback = "byte_fallback"
    case digit
    case latex
    case punctuation

    public static func classify(_ piece: String) -> SpecialTokenClass? {
        if isByteFallback(piece) { return .byteFallback }
        let text = piece.replacingOccurrences(of: "▁", with: "")
        guard !text.isEmpty else { return nil }
        let scalars = text.unicodeScalars
        if scalars.allSatisfy({ CharacterSet.decimalDigits.contains($0) }) { return .digit }
        if text.hasPrefix("\\") || scalars.contains(where: { "$^{}".unicodeScalars.contains($0) }) { return .latex }
        let marks = CharacterSet.punctuationCharacters.union(.symbols)
        if scalars.allSatisfy({ marks.contains($0) }) { return .punctuation }
        return nil
    }

    static func isByteFallback(_ piece: String) -> Bool {
        let u = Array(piece.utf8)
        guard u.count == 6, piece.hasPrefix("<0x"), u[5] == UInt8(ascii: ">") else { return false }
        return u[3...4].allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) }
    }
}

/// Per domain: how specialized its routing is and how many special tokens it holds.
public enum DomainSpecialization {
    public struct Row: Sendable, Equatable {
        public var domain: String
        public var tokens: Int
        /// Share of the domain's tokens in any special class, and per class.
        public var specialShare: Double
        public var classShares: [SpecialTokenClass: Double]
        /// Total-variation distance of the domain's expert distribution from uniform (how concentrated
        /// it is, as the paper's radar plots show it; 0 = every expert equally).
        public var deviation: Double
        /// The same over the domain's non-special tokens only: if special tokens explain the
        /// specialization, this is much smaller than `deviation`.
        public var deviationWithoutSpecial: Double
    }

    /// Rows for the domains with at least `minTokens` tokens. `domainOf` names token t's domain,
    /// `classOf` gives a token id's special class (nil: not special).
    public static func rows(
        _ r: LayerRouting, domainOf: (Int) -> String, classOf: (Int) -> SpecialTokenClass?, minTokens: Int
    ) -> [Row] {
        var classes: [Int32: SpecialTokenClass?] = [:]
        var tokenClass = [SpecialTokenClass?](repeating: nil, count: r.count)
        var tokenDomain: [String] = []
        tokenDomain.reserveCapacity(r.count)
        for t in 0..<r.count {
            let id = r.tokenIds[t]
            if let known = classes[id] {
                tokenClass[t] = known
            } else {
                let c = classOf(Int(id))
                classes[id] = c
                tokenClass[t] = c
            }
            tokenDomain.append(domainOf(t))
        }
        let uniform = [Double](repeating: 1 / Double(max(1, r.experts)), count: r.experts)
        var out: [Row] = []
        for domain in Set(tokenDomain).sorted() {
            let members = (0..<r.count).filter { tokenDomain[$0] == domain }
            guard members.count >= max(1, minTokens) else { continue }
            let inDomain = Set(members)
            var perClass: [SpecialTokenClass: Double] = [:]
            for c in SpecialTokenClass.allCases {
                perClass[c] = Double(members.filter { tokenClass[$0] == c }.count) / Double(members.count)
            }
            let shares = RoutingStatistics.shares(RoutingStatistics.expertCounts(r) { inDomain.contains($0) })
            let plain = RoutingStatistics.shares(
                RoutingStatistics.expertCounts(r) { inDomain.contains($0) && tokenClass[$0] == nil })
            out.append(
                Row(
                    domain: domain, tokens: members.count, specialShare: perClass.values.reduce(0, +),
                    classShares: perClass, deviation: LanguageStatistics.totalVariation(shares, uniform),
                    deviationWithoutSpecial: LanguageStatistics.totalVariation(plain, uniform)))
        }
        return out
    }

    /// Spearman's rank correlation (ties get their mean rank); nil with fewer than 3 points or a
    /// constant variable.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 3 else { return nil }
        return pearson(ranks(x), ranks(y))
    }

    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2 else { return nil }
        let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }, syy = y.reduce(0) { $0 + ($1 - my) * ($1 - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    static func ranks(_ v: [Double]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var out = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            for k in i...j { out[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return out
    }
}

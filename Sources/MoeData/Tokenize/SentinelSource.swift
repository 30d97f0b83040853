/// Where a tokenizer's T5 sentinels come from: `tokenizer.sentinels` in a manifest, `--sentinels`
/// on the tokenizer commands.
///
/// - `appended(n)`: n ids after the model's pieces, as seqio's `extra_ids` (OpenMoE: 300;
///   `<extra_id_0>` is the highest id). 0 means no sentinels: fine for causal-only mixtures.
/// - `fromModel`: the model's own pieces `<extra_id_0>`, `<extra_id_1>`, ... (trained as
///   user-defined symbols, as many T5 and UL2 setups do); nothing is appended to the vocabulary.
public enum SentinelSource: Sendable, Equatable, CustomStringConvertible {
    case appended(Int)
    case fromModel

    /// Sentinels appended when a manifest or option does not say: umT5's count as OpenMoE
    /// configured it (seqio `extra_ids = 300`).
    public static let defaultAppendedCount = 300

    /// The spelling of `fromModel` in manifests and on the command line.
    public static let fromModelName = "from_model"

    /// `from_model`, or a whole number of appended sentinels (nil for anything else).
    public init?(parsing text: String) {
        if text == SentinelSource.fromModelName {
            self = .fromModel
        } else if let count = Int(text.replacingOccurrences(of: "_", with: "")) {
            self = .appended(count)
        } else {
            return nil
        }
    }

    /// As a manifest or `--sentinels` writes it.
    public var description: String {
        switch self {
        case .appended(let count): String(count)
        case .fromModel: SentinelSource.fromModelName
        }
    }

    /// Ids appended after the model's pieces (0 when the sentinels are the model's own).
    public var appendedCount: Int {
        switch self {
        case .appended(let count): count
        case .fromModel: 0
        }
    }
}

/// `sentinels: 300` in code means 300 appended, as the count it replaced did.
extension SentinelSource: ExpressibleByIntegerLiteral {
    public init(integerLiteral count: Int) { self = .appended(count) }
}

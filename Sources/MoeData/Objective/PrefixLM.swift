import PackedFormat

/// T5's `prefix_lm` split (`random_prefix_noise_mask`): the first `n` tokens of a chunk become
/// the inputs, the rest the targets.
public enum PrefixLM {
    /// The range the prefix length is drawn from, uniformly: [minIn, L-1] with
    /// `minIn = clamp(round((1 - 2d)(L-1)), 1, L-1)`. At d = 0.5 that is [1, L-1], so the first
    /// token is always an input and the last always a target. A 1-token chunk has range [0, 0]
    /// (all target), as in T5.
    public static func prefixRange(length: Int, noiseDensity: Double) -> ClosedRange<Int> {
        let maxIn = max(length - 1, 0)
        let scaled = Int(((1 - 2 * noiseDensity) * Double(maxIn)).rounded(.toNearestOrEven))
        let minIn = min(maxIn, max(1, scaled))
        return minIn...maxIn
    }

    public static func prefixLength(length: Int, noiseDensity: Double, using rng: inout KeyedRandom) -> Int {
        rng.int(in: prefixRange(length: length, noiseDensity: noiseDensity))
    }
}

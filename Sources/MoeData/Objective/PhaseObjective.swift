/// A phase's objective, ready to turn mixed chunks into examples. The build's example step asks
/// it how many raw tokens the next example wants, has the mixer cut a chunk of that size, and
/// hands the chunk back for its examples.
protocol PhaseObjective: Sendable {
    /// What the next example needs. `openRowTokens` is what the packer's open row already holds
    /// (causal LM fills it exactly; UL2 ignores it).
    func nextDraw(exampleIndex: UInt64, openRowTokens: Int) -> ObjectiveDraw

    /// The examples made from `chunk`, a chunk of the size `nextDraw` asked for with the same
    /// arguments (shorter at a phase end). Adds what it made to `counters`.
    func examples(
        from chunk: MixedChunk, exampleIndex: UInt64, openRowTokens: Int,
        counting counters: inout ObjectiveCounters
    ) throws -> [Example]

    /// The lengths of the examples `examples(from:...)` makes from `chunk`, from its length,
    /// pieces and document ends alone (a counting mixer's chunks hold no tokens); counts what it
    /// would make as `examples` does. A simulation of the build runs on these (`CountedBuildSteps`).
    func exampleLengths(
        from chunk: MixedChunk, exampleIndex: UInt64, openRowTokens: Int,
        counting counters: inout ObjectiveCounters
    ) throws -> [Int]
}

/// What an objective needs before its next example.
enum ObjectiveDraw: Equatable {
    /// Up to this many raw tokens from the mixer.
    case rawTokens(Int)
    /// The packer's open row must be closed first (it has no room left for this objective).
    case closeRow
}

/// What the examples of a phase hold, counted by its objective as it makes them.
struct ObjectiveCounters: Codable, Equatable {
    var examples = 0
    /// Raw tokens from the sources.
    var sourceTokens = 0
    var eosTokens = 0
    /// Sentinels and mode tokens.
    var specialTokens = 0
    var examplesByDenoiser: [String: Int] = [:]
}

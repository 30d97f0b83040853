/// UL2 in a build: one example per chunk, its denoiser drawn by the example's index.
extension UL2Objective: PhaseObjective {
    func nextDraw(exampleIndex: UInt64, openRowTokens: Int) -> ObjectiveDraw {
        .rawTokens(rawLength(denoiser: denoiserIndex(forExample: exampleIndex)))
    }

    func examples(
        from chunk: MixedChunk, exampleIndex: UInt64, openRowTokens: Int,
        counting counters: inout ObjectiveCounters
    ) throws -> [Example] {
        let denoiser = denoiserIndex(forExample: exampleIndex)
        let example = try makeExample(
            raw: chunk.tokens, pieces: chunk.pieces, source: chunk.source,
            denoiser: denoiser, exampleIndex: exampleIndex)
        counters.examples += 1
        counters.sourceTokens += chunk.tokens.count
        counters.eosTokens += 2
        counters.specialTokens += example.tokens.count - chunk.tokens.count - 2
        counters.examplesByDenoiser[plans[denoiser].denoiser.name, default: 0] += 1
        return [example]
    }
}

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
        count(raw: chunk.length, example: example.tokens.count, denoiser: denoiser, into: &counters)
        return [example]
    }

    func exampleLengths(
        from chunk: MixedChunk, exampleIndex: UInt64, openRowTokens: Int,
        counting counters: inout ObjectiveCounters
    ) throws -> [Int] {
        let denoiser = denoiserIndex(forExample: exampleIndex)
        let length = try exampleLength(raw: chunk.length, denoiser: denoiser)
        count(raw: chunk.length, example: length, denoiser: denoiser, into: &counters)
        return [length]
    }

    private func count(raw: Int, example: Int, denoiser: Int, into counters: inout ObjectiveCounters) {
        counters.examples += 1
        counters.sourceTokens += raw
        counters.eosTokens += 2
        counters.specialTokens += example - raw - 2
        counters.examplesByDenoiser[plans[denoiser].denoiser.name, default: 0] += 1
    }
}

/// Causal LM in a build, with `seqLen` the phase's row length: each chunk fills the packer's open
/// row exactly. The mixer is asked for what is left of the row, one token kept for an EOS; a
/// chunk with several document ends overflows by a few EOS tokens, and the overflow starts the
/// next row as its own segment.
extension CausalObjective: PhaseObjective {
    func nextDraw(exampleIndex: UInt64, openRowTokens: Int) -> ObjectiveDraw {
        let space = seqLen - openRowTokens
        return space < 2 ? .closeRow : .rawTokens(space - 1)
    }

    func examples(
        from chunk: MixedChunk, exampleIndex: UInt64, openRowTokens: Int,
        counting counters: inout ObjectiveCounters
    ) throws -> [Example] {
        var chunker = try CausalObjective(seqLen: seqLen - openRowTokens, eosId: eosId).chunker(source: chunk.source)
        var examples: [Example] = []
        var start = 0
        for piece in chunk.pieces {
            let end = start + piece.count
            examples += chunker.add(
                docId: piece.docId, tokens: chunk.tokens[start..<end], offset: piece.offset,
                endsDocument: chunk.docEnds.contains(end))
            start = end
        }
        if let tail = chunker.finish() { examples.append(tail) }
        counters.sourceTokens += chunk.tokens.count
        counters.eosTokens += chunk.docEnds.count
        counters.examples += examples.count
        return examples
    }
}

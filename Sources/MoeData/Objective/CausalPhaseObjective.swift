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
        count(chunk, examples: examples.count, into: &counters)
        return examples
    }

    /// The chunker's cuts on counts: each piece's tokens, then an EOS where it ends a document,
    /// filling examples of the open row's space one after the other.
    func exampleLengths(
        from chunk: MixedChunk, exampleIndex: UInt64, openRowTokens: Int,
        counting counters: inout ObjectiveCounters
    ) throws -> [Int] {
        let space = seqLen - openRowTokens
        guard space >= 1 else { throw MoeDataError("causal: sequence length \(space) must be at least 1") }
        var lengths: [Int] = []
        var open = 0
        func fill(_ count: Int) {
            var left = count
            while left > 0 {
                let take = min(left, space - open)
                open += take
                left -= take
                if open == space {
                    lengths.append(open)
                    open = 0
                }
            }
        }
        var end = 0
        for piece in chunk.pieces {
            end += piece.count
            fill(piece.count)
            if piece.count > 0 && chunk.docEnds.contains(end) { fill(1) }
        }
        if open > 0 { lengths.append(open) }
        count(chunk, examples: lengths.count, into: &counters)
        return lengths
    }

    private func count(_ chunk: MixedChunk, examples: Int, into counters: inout ObjectiveCounters) {
        counters.sourceTokens += chunk.length
        counters.eosTokens += chunk.docEnds.count
        counters.examples += examples
    }
}

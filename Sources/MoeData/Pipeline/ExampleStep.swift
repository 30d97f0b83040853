/// The build's objective step: each phase's objective turns chunks into examples, numbered in
/// stream order (UL2 keys its random choices by that number), and counts what it made.
struct ExampleStep {
    let objectives: [any PhaseObjective]
    /// Index of the next chunk's examples in the whole stream.
    private(set) var exampleIndex: UInt64
    private(set) var counters: [ObjectiveCounters]

    func nextDraw(phase: Int, openRowTokens: Int) -> ObjectiveDraw {
        objectives[phase].nextDraw(exampleIndex: exampleIndex, openRowTokens: openRowTokens)
    }

    mutating func examples(from chunk: MixedChunk, phase: Int, openRowTokens: Int) throws -> [Example] {
        let examples = try objectives[phase].examples(
            from: chunk, exampleIndex: exampleIndex,
            openRowTokens: openRowTokens, counting: &counters[phase])
        exampleIndex += 1
        return examples
    }

    /// The lengths of the examples `examples(from:...)` would make (a simulation of the build).
    mutating func exampleLengths(from chunk: MixedChunk, phase: Int, openRowTokens: Int) throws -> [Int] {
        let lengths = try objectives[phase].exampleLengths(
            from: chunk, exampleIndex: exampleIndex, openRowTokens: openRowTokens, counting: &counters[phase])
        exampleIndex += 1
        return lengths
    }
}

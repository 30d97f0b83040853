import Foundation

/// The build from the token datasets to the packed rows: mix → objective → pack → write, one
/// example at a time. Each step does its own work and keeps its own counters; this only passes
/// chunks, examples and rows along, and tells the write step where a resume would start from.
struct BuildSteps {
    var mix: MixStep
    var examples: ExampleStep
    var pack: PackStep

    /// Steps at the start of the mixture, or where `checkpoint` left them; `readAhead`: token
    /// shards are decoded on other threads.
    init(
        mixture: Mixture, objectives: [any PhaseObjective], tokensDirectory: URL, seed: UInt64,
        resumingFrom checkpoint: BuildCheckpoint?, readAhead: Bool = false, opened: OpenedSources? = nil
    ) throws {
        let mixer = try Mixer(
            mixture: mixture, tokensDirectory: tokensDirectory, seed: seed,
            resumeFrom: checkpoint?.mixer, readAhead: readAhead, opened: opened)
        let counters = checkpoint?.phases ?? Array(repeating: PhaseCounters(), count: mixture.phases.count)
        mix = MixStep(mixer: mixer, accounting: checkpoint?.accounting ?? MixAccounting(schedule: mixer.schedule))
        examples = ExampleStep(
            objectives: objectives, exampleIndex: checkpoint?.exampleIndex ?? 0,
            counters: counters.map(\.objective))
        pack = try PackStep(
            rowLengths: mixture.phases.map(\.seqLen), phase: checkpoint?.packerPhase ?? mixer.phase,
            state: checkpoint?.packer ?? Packer.State(), counters: counters.map(\.packing))
    }

    var counters: [PhaseCounters] { zip(examples.counters, pack.counters).map(PhaseCounters.init) }

    var resumePoint: ResumePoint {
        ResumePoint(
            mixer: mix.mixer.state, exampleIndex: examples.exampleIndex, accounting: mix.accounting,
            objectiveCounters: examples.counters)
    }

    /// Runs every phase to its end, or until `rows` refuses a row. Returns false when it stopped early.
    @discardableResult
    mutating func run(writingTo rows: inout some RowSink) throws -> Bool {
        while pack.phase < pack.rowLengths.count {
            let from = resumePoint
            if mix.phase != pack.phase {
                // The mixer finished the packer's phase: close its last row, go on with the next.
                if let closed = pack.closeRow() {
                    guard try rows.take(closed, from: from) else { return false }
                }
                try pack.start(phase: mix.phase)
                continue
            }
            guard try nextExample(from: from, rows: &rows) else { return false }
        }
        try mix.mixer.verifyShardsRead()
        return true
    }

    private mutating func nextExample(from: ResumePoint, rows: inout some RowSink) throws -> Bool {
        let phase = pack.phase
        switch examples.nextDraw(phase: phase, openRowTokens: pack.openRowTokens) {
        case .closeRow:
            if let closed = pack.closeRow() { return try rows.take(closed, from: from) }
        case .rawTokens(let count):
            guard let chunk = try mix.next(maxTokens: count) else { return true }
            let made = try examples.examples(from: chunk, phase: phase, openRowTokens: pack.openRowTokens)
            // Only the first example can close a row (it fits the open row by construction, the rest
            // go to a fresh row), so `from` regenerates any row closed here.
            for (i, example) in made.enumerated() {
                let closed = try pack.add(example)
                if i > 0 && !closed.isEmpty {
                    throw MoeDataError("internal error: a causal chunk completed a row after its first piece")
                }
                for row in closed {
                    guard try rows.take(row, from: from) else { return false }
                }
            }
        }
        return true
    }
}

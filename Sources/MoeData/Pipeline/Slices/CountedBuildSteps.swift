import Foundation

/// The build's steps on token counts: the mixer counting over the catalog's document lengths
/// (no shard is read), each objective's example lengths (`PhaseObjective.exampleLengths`), and
/// next-fit packing of lengths. It takes the decisions `BuildSteps` takes, in the same order, so it
/// passes through the build's states: the mixer's, the example index, the accounting and the
/// counters at every row (a test compares them row by row). A slice runs it to find where it
/// starts, at a cost per document and per example rather than per token.
struct CountedBuildSteps {
    /// A row the steps closed, as the build's pack step would close it: the state before the
    /// example that closed it, and the lengths of the examples open in the row before that example.
    struct Row {
        var from: ResumePoint
        var phase: Int
        var openLengths: [Int]
        var countersBefore: [RowCounters]
    }

    var mix: MixStep
    var examples: ExampleStep
    let rowLengths: [Int]
    /// Phase of the open row; it lags the mixer's phase until the row is closed.
    private(set) var phase: Int
    private var open: [Int] = []
    private var openTokens = 0
    private(set) var packing: [RowCounters]

    /// Steps at the start of the mixture, over `documentLengths` (per source, each token shard's).
    init(
        mixture: Mixture, objectives: [any PhaseObjective], tokensDirectory: URL, seed: UInt64,
        documentLengths: [String: [[UInt32]?]]
    ) throws {
        let mixer = try Mixer(
            mixture: mixture, tokensDirectory: tokensDirectory, seed: seed, documentLengths: documentLengths)
        mix = MixStep(mixer: mixer, accounting: MixAccounting(schedule: mixer.schedule))
        examples = ExampleStep(
            objectives: objectives, exampleIndex: 0,
            counters: Array(repeating: ObjectiveCounters(), count: mixture.phases.count))
        rowLengths = mixture.phases.map(\.seqLen)
        phase = mixer.phase
        packing = Array(repeating: RowCounters(), count: mixture.phases.count)
    }

    var counters: [PhaseCounters] { zip(examples.counters, packing).map(PhaseCounters.init) }

    var resumePoint: ResumePoint {
        ResumePoint(
            mixer: mix.mixer.state, exampleIndex: examples.exampleIndex, accounting: mix.accounting,
            objectiveCounters: examples.counters)
    }

    /// Runs every phase to its end, handing each closed row to `take`, or until `take` returns
    /// false. Returns false when it stopped early. The loop is `BuildSteps.run`'s.
    mutating func run(_ take: (Row) throws -> Bool) throws -> Bool {
        while phase < rowLengths.count {
            let from = resumePoint
            if mix.phase != phase {
                if let row = closeRow(from: from) {
                    guard try take(row) else { return false }
                }
                phase = mix.phase
                continue
            }
            switch examples.nextDraw(phase: phase, openRowTokens: openTokens) {
            case .closeRow:
                if let row = closeRow(from: from) {
                    guard try take(row) else { return false }
                }
            case .rawTokens(let count):
                guard let chunk = try mix.next(maxTokens: count) else { continue }
                let lengths = try examples.exampleLengths(from: chunk, phase: phase, openRowTokens: openTokens)
                for (i, length) in lengths.enumerated() {
                    let closed = try add(length, from: from)
                    if i > 0 && !closed.isEmpty {
                        throw MoeDataError("internal error: a causal chunk completed a row after its first piece")
                    }
                    for row in closed {
                        guard try take(row) else { return false }
                    }
                }
            }
        }
        return true
    }

    /// `Packer.add` on a length: a length that does not fit closes the open row, one that fills
    /// the row exactly closes it (regenerated, like `PackStep.add`, from the examples before).
    private mutating func add(_ length: Int, from: ResumePoint) throws -> [Row] {
        let rowLength = rowLengths[phase]
        guard length >= 1, length <= rowLength else {
            throw MoeDataError("pack: an example of \(length) tokens does not fit a row of \(rowLength)")
        }
        let before = open
        var rows: [Row] = []
        if openTokens + length > rowLength { rows.append(close(regeneratedFrom: before, from: from)) }
        open.append(length)
        openTokens += length
        if openTokens == rowLength { rows.append(close(regeneratedFrom: rows.isEmpty ? before : [], from: from)) }
        return rows
    }

    private mutating func closeRow(from: ResumePoint) -> Row? {
        open.isEmpty ? nil : close(regeneratedFrom: open, from: from)
    }

    private mutating func close(regeneratedFrom state: [Int], from: ResumePoint) -> Row {
        let row = Row(from: from, phase: phase, openLengths: state, countersBefore: packing)
        packing[phase].rows += 1
        packing[phase].rowTokens += openTokens
        packing[phase].paddingTokens += rowLengths[phase] - openTokens
        open = []
        openTokens = 0
        return row
    }
}

extension BuildCheckpoint {
    /// The checkpoint that makes `row` again, with the packer's open row made of examples of the
    /// right lengths and zeros for tokens: a slice that resumes from it makes that row again and
    /// drops it, so no token of these examples is ever written.
    init(regenerating row: CountedBuildSteps.Row, signature: String) {
        let placeholders = row.openLengths.map { n in
            Example(
                tokens: [UInt32](repeating: 0, count: n), lossMask: [UInt8](repeating: 0, count: n),
                prefixFlags: [UInt8](repeating: 0, count: n), source: "", objective: .causal, denoiser: nil,
                pieces: [])
        }
        self.init(
            signature: signature, exampleIndex: row.from.exampleIndex, mixer: row.from.mixer,
            packer: Packer.State(examples: placeholders), packerPhase: row.phase, accounting: row.from.accounting,
            phases: zip(row.from.objectiveCounters, row.countersBefore).map(PhaseCounters.init))
    }
}

import Foundation

/// Everything `build` can refuse about a mixture, checked in one place so that `plan` and
/// `build` agree: `plan` runs it before printing, `build` before it ingests, removes or writes
/// anything. A check that only fails halfway through a build would leave a half-written output.
extension Mixture {
    /// Packed rows store positions and segment ids as uint16.
    public static let maxSeqLen = Int(UInt16.max)

    /// Checks the mixture against the manifest's sources and, when given, the tokenizer (UL2's
    /// lengths depend on how many tokens each mode prefix takes, and on the sentinel count).
    /// Every error names the mixture file and the key to change. Without a tokenizer, the manifest's
    /// `sentinels` (when given) are checked against UL2 phases.
    /// - Returns: each phase's objective, ready to use (empty when `tokenizer` is nil).
    @discardableResult
    public func validateForBuild(
        knownSources: Set<String>, tokenizer: Tokenizer?,
        seed: UInt64 = 0, sentinels: SentinelSource? = nil
    ) throws -> [PhaseObjectiveCheck] {
        try validate(knownSources: knownSources)
        guard !phases.isEmpty else { throw MoeDataError("\(file): phases: the mixture has no phases") }
        for phase in phases {
            guard phase.seqLen >= 2, phase.seqLen <= Mixture.maxSeqLen else {
                throw MoeDataError(
                    "\(file): \(phase.keyPath).seq_len: \(phase.seqLen) must be between 2 and \(Mixture.maxSeqLen) "
                        + "(packed rows store positions and segment ids as uint16)")
            }
            guard phase.budget > 0 else {
                throw MoeDataError(
                    "\(file): \(phase.keyPath).budget: \(phase.budget) tokens; a phase needs a positive budget")
            }
        }
        for (source, options) in sourceOptions.sorted(by: { $0.key < $1.key }) where options.maxEpochs < 1 {
            throw MoeDataError(
                "\(file): \(options.keyPath): max_epochs of '\(source)' is \(options.maxEpochs); it must be at least 1")
        }
        _ = try MixSchedule(self)
        guard let tokenizer else {
            if let sentinels { try phases.forEach { try $0.checkSentinels(sentinels, mixtureFile: file) } }
            return []
        }
        return try phases.map { phase in
            PhaseObjectiveCheck(
                objective: try phase.objective.phaseObjective(
                    phase: phase, mixtureFile: file, tokenizer: tokenizer, seed: seed))
        }
    }
}

/// A phase's objective as `validateForBuild` built it (opaque outside the module).
public struct PhaseObjectiveCheck: Sendable {
    let objective: any PhaseObjective
}

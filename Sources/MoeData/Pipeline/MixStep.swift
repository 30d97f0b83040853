/// The build's mix step: cuts the sources into chunks on the schedule (the mixer) and counts
/// what each phase realized against its targets (the accounting).
struct MixStep {
    private(set) var mixer: Mixer
    private(set) var accounting: MixAccounting

    /// Phase of the next chunk; the phase count once the mixture is complete.
    var phase: Int { mixer.phase }

    /// The next chunk, of at most `maxTokens` raw tokens; nil once the mixture is complete.
    mutating func next(maxTokens: Int) throws -> MixedChunk? {
        guard let chunk = try mixer.next(maxTokens: maxTokens) else { return nil }
        try accounting.record(chunk)
        return chunk
    }
}

import Foundation
import PackedFormat

/// The raw source tokens of one example, all from one source.
public struct MixedChunk: Sendable, Equatable {
    public var source: String
    /// Phase the tokens count toward.
    public var phase: Int
    public var tokens: [UInt32]
    /// Raw tokens in the chunk: `tokens.count`, except from a mixer that counts (`documentLengths`),
    /// whose chunks hold no tokens.
    public var length: Int
    /// Provenance of the raw tokens, in order.
    public var pieces: [RawPiece]
    /// Offsets in the raw tokens where a document ends (where causal LM appends EOS); may include `length`.
    public var docEnds: [Int]

    public init(source: String, phase: Int, tokens: [UInt32] = [], pieces: [RawPiece] = [], docEnds: [Int] = []) {
        self.source = source
        self.phase = phase
        self.tokens = tokens
        length = tokens.count
        self.pieces = pieces
        self.docEnds = docEnds
    }
}

/// Everything needed to resume the mixer: a few integers per source plus the phase.
public struct MixerState: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        public var name: String
        public var cursor: SourceCursor
        /// Tokens of this source consumed in the current phase.
        public var consumedInPhase: Int
    }
    /// Fingerprint of the schedule (phase budgets and targets); a resume with another mixture is refused.
    public var schedule: String
    public var seed: UInt64
    /// The order of documents within a source (`Mixer.shuffleScheme`); states saved before it was
    /// recorded were made with the one before, `Mixer.shardWindowsScheme`.
    public var shuffle: String
    public var windowDocs: Int
    public var phase: Int
    public var sources: [Source]

    public init(schedule: String, seed: UInt64, shuffle: String, windowDocs: Int, phase: Int, sources: [Source]) {
        self.schedule = schedule
        self.seed = seed
        self.shuffle = shuffle
        self.windowDocs = windowDocs
        self.phase = phase
        self.sources = sources
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schedule = try c.decode(String.self, forKey: .schedule)
        seed = try c.decode(UInt64.self, forKey: .seed)
        shuffle = try c.decodeIfPresent(String.self, forKey: .shuffle) ?? Mixer.shardWindowsScheme
        windowDocs = try c.decode(Int.self, forKey: .windowDocs)
        phase = try c.decode(Int.self, forKey: .phase)
        sources = try c.decode([Source].self, forKey: .sources)
    }
}

/// Interleaves the sources of a mixture into one stream of per-example chunks whose
/// proportions follow the schedule exactly.
///
/// The rule is Megatron's greedy max-deficit blending, keyed on *tokens* rather than samples
/// and made piecewise over phases: the next example comes from the source furthest behind its
/// target, where a source's target after `t` tokens of a phase is `t × target_s / budget`.
/// No randomness is involved, so every prefix of the stream stays within one chunk of the
/// targets, and a source never takes more than what it still owes the phase, so at each phase
/// end every source has delivered exactly its integer target. Counters therefore carry over
/// phase boundaries with no debt in either direction.
public struct Mixer {
    /// How documents are ordered within a source: blocks of documents in canonical order
    /// (`SourceDocuments`), whatever shards they were written to. Recorded in saved states and
    /// build signatures, so rows are never made half in one order and half in another.
    public static let shuffleScheme = SourceDocuments.shuffleScheme
    /// The order before: shards shuffled, documents shuffled within windows of a shard.
    public static let shardWindowsScheme = "shard-windows"

    public let mixture: Mixture
    public let schedule: MixSchedule
    /// `schedule.digest`, computed once: every state (one per example) carries it.
    private let scheduleDigest: String
    public let seed: UInt64
    public let windowDocs: Int
    /// Phase of the next chunk; equals the number of phases once the mixture is complete.
    public private(set) var phase: Int
    /// Source tokens consumed so far in `phase`.
    public private(set) var phaseConsumed: Int
    private var consumedInPhase: [Int]
    private var streams: [SourceStream]
    /// Documents per shuffle window unless told otherwise.
    public static let defaultWindowDocs = 4096

    /// - Parameters:
    ///   - mixture: the (possibly scaled) mixture.
    ///   - tokensDirectory: `<out>/tokens`, holding one MDS dataset per source.
    ///   - seed: replaces the mixture's `seed` when given.
    ///   - windowDocs: documents per shuffle window (consecutive documents in canonical order).
    ///   - resumeFrom: a `state` saved earlier from a mixer over the same mixture and inputs.
    ///   - documentLengths: per source, each token shard's document lengths: the mixer then counts,
    ///     handing over chunks with pieces, document ends and lengths but no tokens, read from no
    ///     shard (`SourceDocuments`), for a simulation of the build (`CountedBuildSteps`).
    ///   - readAhead: decode token shards on other threads, ahead of need (`SourceDocuments`).
    ///   - opened: sources opened before (`OpenedSources`), taken where they read what a fresh one would.
    public init(
        mixture: Mixture, tokensDirectory: URL, seed: UInt64? = nil, windowDocs: Int = Mixer.defaultWindowDocs,
        resumeFrom: MixerState? = nil, documentLengths: [String: [[UInt32]?]]? = nil, readAhead: Bool = false,
        opened: OpenedSources? = nil
    ) throws {
        guard windowDocs > 0 else {
            throw MoeDataError("the shuffle window must hold at least one document, got \(windowDocs)")
        }
        self.mixture = mixture
        schedule = try MixSchedule(mixture)
        scheduleDigest = schedule.digest
        self.seed = seed ?? mixture.seed
        self.windowDocs = windowDocs
        var streams: [SourceStream] = []
        for source in schedule.sources {
            let dir = tokensDirectory.appendingPathComponent(source)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("index.json").path) else {
                let key =
                    mixture.phases.lazy.flatMap(\.weights).first { $0.source == source && $0.weight > 0 }?.keyPath
                    ?? "phases"
                throw MoeDataError(
                    "\(mixture.file): \(key): source '\(source)' has no token dataset at \(dir.path); is it in "
                        + "the manifest, and was it ingested?"
                )
            }
            // An opened source has its first window read ahead: only for one that starts there.
            let cursor = resumeFrom?.sources.first { $0.name == source }?.cursor ?? SourceCursor()
            let early =
                readAhead && documentLengths == nil && cursor == SourceCursor()
                ? opened?.take(name: source, directory: dir, seed: self.seed, windowDocs: windowDocs) : nil
            let docs = try early
                ?? SourceDocuments(
                    name: source, directory: dir, seed: self.seed, windowDocs: windowDocs,
                    lengths: documentLengths.map { $0[source] ?? [] }, readAhead: readAhead)
            streams.append(SourceStream(documents: docs, maxEpochs: mixture.maxEpochs(source), cursor: SourceCursor()))
        }
        self.streams = streams
        phase = 0
        phaseConsumed = 0
        consumedInPhase = Array(repeating: 0, count: schedule.sources.count)
        if let resumeFrom { try resume(resumeFrom) }
        skipCompletedPhases()
    }

    public var state: MixerState {
        MixerState(
            schedule: scheduleDigest, seed: seed, shuffle: Mixer.shuffleScheme, windowDocs: windowDocs,
            phase: phase,
            sources: schedule.sources.indices.map {
                MixerState.Source(
                    name: schedule.sources[$0], cursor: streams[$0].cursor, consumedInPhase: consumedInPhase[$0])
            })
    }

    private mutating func resume(_ saved: MixerState) throws {
        let what = "the saved mixer state does not belong to this mixture (\(mixture.file))"
        guard saved.schedule == schedule.digest else {
            throw MoeDataError(
                "\(what): its phase budgets or weights differ; rebuild from scratch or use the original mixture "
                    + "and --total-tokens"
            )
        }
        guard saved.shuffle == Mixer.shuffleScheme else {
            throw MoeDataError(
                "\(what): it orders documents by '\(saved.shuffle)', this moe-data by '\(Mixer.shuffleScheme)'; "
                    + "rebuild from the start (--restart)")
        }
        guard saved.seed == seed, saved.windowDocs == windowDocs else {
            throw MoeDataError(
                "\(what): it was made with seed \(saved.seed) and window \(saved.windowDocs), not \(seed) and "
                    + "\(windowDocs)"
            )
        }
        guard saved.sources.map(\.name) == schedule.sources, saved.phase >= 0, saved.phase <= schedule.phaseCount else {
            throw MoeDataError("\(what): its sources or phase do not match")
        }
        phase = saved.phase
        for (i, s) in saved.sources.enumerated() {
            let target = phase < schedule.phaseCount ? schedule.targets[phase][i] : 0
            let c = s.cursor
            guard s.consumedInPhase >= 0, s.consumedInPhase <= target, c.epoch >= 0, c.epoch < streams[i].maxEpochs,
                c.position >= 0, c.position <= streams[i].documents.count, c.offset >= 0
            else {
                throw MoeDataError("\(what): the position of source '\(s.name)' is out of range")
            }
            streams[i].cursor = c
            consumedInPhase[i] = s.consumedInPhase
        }
        phaseConsumed = consumedInPhase.reduce(0, +)
    }

    private mutating func skipCompletedPhases() {
        while phase < schedule.phaseCount && phaseConsumed >= schedule.budgets[phase] {
            phase += 1
            phaseConsumed = 0
            for i in consumedInPhase.indices { consumedInPhase[i] = 0 }
        }
    }

    /// Raw tokens for the next example: up to `maxTokens` from the source furthest behind its
    /// target, fewer only where that source's target for the phase is reached. `nil` once the
    /// last phase is complete.
    public mutating func next(maxTokens: Int) throws -> MixedChunk? {
        guard maxTokens > 0 else { throw MoeDataError("the mixer was asked for a chunk of \(maxTokens) tokens") }
        guard phase < schedule.phaseCount else { return nil }
        let targets = schedule.targets[phase]
        let budget = UInt64(schedule.budgets[phase])
        // Deficits are compared where the stream will be after this chunk, which lets the
        // heaviest source open a phase instead of whichever sorts first. Source s is further
        // behind than b when t·tgt_s − c_s·B > t·tgt_b − c_b·B; compared as sums, exactly.
        let t = UInt64(phaseConsumed + maxTokens)
        var best = -1
        for s in targets.indices where consumedInPhase[s] < targets[s] {
            if best < 0 { best = s; continue }
            let lhs =
                WideArithmetic.U128.product(t, UInt64(targets[s])) + .product(UInt64(consumedInPhase[best]), budget)
            let rhs =
                WideArithmetic.U128.product(t, UInt64(targets[best])) + .product(UInt64(consumedInPhase[s]), budget)
            if rhs < lhs { best = s }
        }
        // The budget equals the sum of targets, so an unfinished phase always has a source left.
        precondition(best >= 0, "phase \(phase) unfinished with every source at its target")
        let count = min(maxTokens, targets[best] - consumedInPhase[best])
        var chunk = MixedChunk(source: schedule.sources[best], phase: phase)
        if !streams[best].documents.counting { chunk.tokens.reserveCapacity(count) }
        var stream = streams[best]
        do { try stream.take(count, into: &chunk) } catch let e as SourceStream.Exhausted {
            throw exhaustedError(source: best, delivered: e.taken)
        }
        streams[best] = stream
        consumedInPhase[best] += count
        phaseConsumed += count
        skipCompletedPhases()
        return chunk
    }

    /// Checks the token shards read so far against index.json (`SourceDocuments.verifyLoadedShards`;
    /// those the mixer moved past were checked then).
    public func verifyShardsRead() throws {
        for stream in streams { try stream.documents.verifyLoadedShards() }
    }

    private func exhaustedError(source s: Int, delivered: Int) -> MoeDataError {
        let name = schedule.sources[s]
        let epochs = streams[s].maxEpochs
        let consumedBefore = (0..<phase).reduce(0) { $0 + schedule.targets[$1][s] } + consumedInPhase[s]
        let total = consumedBefore + delivered
        let needed = schedule.cumulativeTarget(source: s, throughPhase: schedule.phaseCount - 1)
        let key = mixture.sourceOptions[name]?.keyPath ?? "sources.\(name).max_epochs"
        return MoeDataError(
            """
            \(mixture.file): \(key): source '\(name)' ran out of tokens in phase '\(schedule.phaseNames[phase])' \
            after \(epochs) epoch\(epochs == 1 ? "" : "s") of \(TokenCount.grouped(total / max(epochs, 1))) tokens; \
            the mixture needs \(TokenCount.grouped(needed)) tokens of it, \(TokenCount.grouped(needed - total)) \
            are missing. \
            Raise max_epochs for it, lower its weight, or lower the budget (moe-data plan shows this before a build)
            """)
    }
}

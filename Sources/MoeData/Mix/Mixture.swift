/// A data mixture: phases in order, each with a token budget, relative weights per source,
/// an objective and a sequence length. Parsed from `mixtures/*.yaml` by `MixtureParser`.
///
/// Budgets here are already resolved to absolute token counts (fractions of `total_tokens`
/// and `rest` are worked out at parse time), so everything downstream is integer maths.
public struct Mixture: Sendable, Equatable {
    /// The file the mixture came from, used to name it in every error.
    public var file: String
    public var name: String
    public var description: String
    /// Keys every shuffle: the file's `seed` (0 when it has none) unless `overridingSeed` replaced
    /// it. Resolved here, where the mixture is loaded, so the build and the mixer read one value.
    public var seed: UInt64
    public var phases: [MixturePhase]
    /// Per-source options (`sources:` in the YAML); sources not listed use the defaults.
    public var sourceOptions: [String: MixtureSourceOptions]
    /// `total_tokens` as written in the file, before any `--total-tokens` scaling.
    public var declaredTotalTokens: Int

    public init(
        file: String, name: String, description: String, seed: UInt64, phases: [MixturePhase],
        sourceOptions: [String: MixtureSourceOptions], declaredTotalTokens: Int
    ) {
        self.file = file
        self.name = name
        self.description = description
        self.seed = seed
        self.phases = phases
        self.sourceOptions = sourceOptions
        self.declaredTotalTokens = declaredTotalTokens
    }

    /// Sum of the phase budgets: the number of source tokens the mixture consumes.
    public var totalTokens: Int { phases.reduce(0) { $0 + $1.budget } }

    /// Every source that has a positive weight in at least one phase, sorted by name.
    public var activeSources: [String] {
        Set(phases.flatMap { $0.weights.filter { $0.weight > 0 }.map(\.source) }).sorted()
    }

    /// Every source the file mentions (weights, including zero, and `sources:`), sorted by name.
    public var mentionedSources: [String] {
        Set(phases.flatMap { $0.weights.map(\.source) }).union(sourceOptions.keys).sorted()
    }

    public func maxEpochs(_ source: String) -> Int { sourceOptions[source]?.maxEpochs ?? 1 }

    /// The mixture with `seed` in place of its own (`--seed`); nil keeps the mixture's.
    public func overridingSeed(_ seed: UInt64?) -> Mixture {
        var out = self
        if let seed { out.seed = seed }
        return out
    }

    /// The mixture with `max_epochs` set for the given sources (e.g. from a command-line
    /// option, to run a preset on a corpus smaller than the one it was written for). Values below 1
    /// are kept as given, so `validateForBuild` refuses them naming `keyPath`.
    public func overridingMaxEpochs(_ epochs: [String: Int], keyPath: String = "--max-epochs") -> Mixture {
        var out = self
        for (source, n) in epochs { out.sourceOptions[source] = MixtureSourceOptions(maxEpochs: n, keyPath: keyPath) }
        return out
    }

    /// Checks that every source the mixture names exists in the manifest.
    /// The error names the file, the key that mentions the source, and the known sources.
    public func validate(knownSources: Set<String>) throws {
        let known = BoundedYAML.cappedList(knownSources.sorted())
        for phase in phases {
            for w in phase.weights where !knownSources.contains(w.source) {
                throw MoeDataError("\(file): \(w.keyPath): unknown source '\(w.source)'; the manifest has: \(known)")
            }
        }
        for (source, options) in sourceOptions.sorted(by: { $0.key < $1.key }) where !knownSources.contains(source) {
            throw MoeDataError("\(file): \(options.keyPath): unknown source '\(source)'; the manifest has: \(known)")
        }
    }

    /// The same schedule shrunk (or grown) to `total` source tokens, so a run can be reproduced
    /// in miniature. Phase *boundaries* are scaled and rounded, not budgets one by one, so the
    /// switch points stay where they belong (1.1T → 1.1M keeps the 780B switch at 780K) and the
    /// budgets still add up to exactly `total`.
    public func scaled(toTotal total: Int) throws -> Mixture {
        guard total > 0 else { throw MoeDataError("--total-tokens must be positive, got \(total)") }
        let old = UInt64(totalTokens)
        var out = self
        var cumulative: UInt64 = 0
        var previousBoundary: UInt64 = 0
        for i in phases.indices {
            cumulative += UInt64(phases[i].budget)
            guard let boundary = WideArithmetic.mulDivRounded(cumulative, UInt64(total), old) else {
                throw MoeDataError("--total-tokens \(total) is too large to scale \(file)")
            }
            let budget = Int(boundary - previousBoundary)
            guard budget > 0 else {
                throw MoeDataError(
                    "\(file): \(phases[i].keyPath).budget: --total-tokens \(total) leaves phase "
                        + "'\(phases[i].name)' with no tokens; use a larger total"
                )
            }
            out.phases[i].budget = budget
            previousBoundary = boundary
        }
        return out
    }
}

/// One phase of a mixture.
public struct MixturePhase: Sendable, Equatable {
    public var name: String
    /// Source tokens this phase consumes (sentinels, mode tokens, EOS and padding excluded).
    public var budget: Int
    /// Weights per source after expanding groups, sorted by source name. Zero means absent.
    public var weights: [MixtureWeight]
    public var objective: ObjectiveSpec
    public var seqLen: Int
    /// `phases[i]`, for error messages.
    public var keyPath: String

    public init(
        name: String, budget: Int, weights: [MixtureWeight], objective: ObjectiveSpec, seqLen: Int, keyPath: String
    ) {
        self.name = name
        self.budget = budget
        self.weights = weights.sorted { $0.source < $1.source }
        self.objective = objective
        self.seqLen = seqLen
        self.keyPath = keyPath
    }

    public func weight(of source: String) -> Double { weights.first { $0.source == source }?.weight ?? 0 }
}

/// The relative weight of one source in one phase, and the YAML key it came from.
public struct MixtureWeight: Sendable, Equatable {
    public var source: String
    public var weight: Double
    /// e.g. `phases[0].weights.c4` or `phases[0].weights.redpajama` (a group).
    public var keyPath: String
    public init(source: String, weight: Double, keyPath: String) {
        self.source = source
        self.weight = weight
        self.keyPath = keyPath
    }
}

public struct MixtureSourceOptions: Sendable, Equatable {
    /// How many passes over the source's tokens the whole mixture may make. Default 1.
    public var maxEpochs: Int
    public var keyPath: String
    public init(maxEpochs: Int, keyPath: String) {
        self.maxEpochs = maxEpochs
        self.keyPath = keyPath
    }
}

import Foundation

/// Resources every job of a `moe-data slurm` submission asks for.
public struct SlurmJobSettings: Sendable, Equatable {
    /// Slurm partition (`--partition`); nil: the cluster's default.
    public var partition: String?
    /// CPUs of each job; ingest and build tokenize on that many threads (`--jobs`).
    public var cpusPerTask = 1
    /// `--mem` (e.g. 4G); nil: the cluster's default.
    public var memory: String?
    /// `--time` (e.g. 2:00:00); nil: the partition's default.
    public var time: String?
    /// At most this many ingest tasks at once (`--array=...%K`); nil: no limit.
    public var maxParallel: Int?
    /// More `#SBATCH` arguments, written last in every script (e.g. --account=abc).
    public var extraArguments: [String] = []

    public init() {}
}

/// The build the merge job runs after merging (`moe-data build` with these mixture options).
public struct SlurmBuildStep: Sendable, Equatable {
    /// A mixture file (absolute path) or a preset name.
    public var mixture: String
    public var totalTokens: String?
    public var maxEpochs: Int?
    public var seed: UInt64?

    public init(mixture: String, totalTokens: String? = nil, maxEpochs: Int? = nil, seed: UInt64? = nil) {
        self.mixture = mixture
        self.totalTokens = totalTokens
        self.maxEpochs = maxEpochs
        self.seed = seed
    }
}

/// The text of the three sbatch scripts: `tokenizer.sbatch` (trains the manifest's tokenizer),
/// `ingest.sbatch` (a job array, one element per ingest task) and `merge.sbatch` (merge, then build).
/// Every path is absolute and shell-quoted; `#SBATCH` values are quoted for sbatch's own parser.
public struct SlurmScripts: Sendable {
    /// The moe-data binary the jobs run (absolute).
    public var binary: String
    /// The manifest (absolute).
    public var manifestPath: String
    /// `--output` for every command, when the submission overrode the manifest's output.
    public var outputOverride: String?
    public var manifest: Manifest
    public var taskCount: Int
    public var settings: SlurmJobSettings
    public var build: SlurmBuildStep?
    /// Seed of the tokenizer's training sample (build's `--seed`; default 0).
    public var tokenizerSeed: UInt64?

    public init(
        binary: String, manifestPath: String, outputOverride: String?, manifest: Manifest, taskCount: Int,
        settings: SlurmJobSettings, build: SlurmBuildStep?, tokenizerSeed: UInt64?
    ) {
        self.binary = binary
        self.manifestPath = manifestPath
        self.outputOverride = outputOverride
        self.manifest = manifest
        self.taskCount = taskCount
        self.settings = settings
        self.build = build
        self.tokenizerSeed = tokenizerSeed
    }

    /// `moe-data-<manifest name>`: the jobs are `<prefix>-tokenizer`, `<prefix>-ingest`, `<prefix>-merge`.
    public var jobName: String {
        let name = String(manifest.name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return "moe-data-" + (name.isEmpty ? "run" : String(name.prefix(60)))
    }

    public var folder: String { (manifest.output as NSString).appendingPathComponent("slurm") }
    public var logFolder: String { (folder as NSString).appendingPathComponent("logs") }

    /// The log of an ingest array element: the scripts' `%x-%A_%a.out` pattern, expanded.
    public static func logPath(output: String, jobName: String, arrayJob: String, task: Int) -> String {
        "\(output)/slurm/logs/\(jobName)-ingest-\(arrayJob)_\(task).out"
    }

    /// The log of the merge or tokenizer job (`%x-%j.out`).
    public static func logPath(output: String, jobName: String, stage: String, job: String) -> String {
        "\(output)/slurm/logs/\(jobName)-\(stage)-\(job).out"
    }

    /// Trains the tokenizer as `build` does when the model is missing (the manifest's `tokenizer.train`).
    public func tokenizerScript() throws -> String? {
        guard let train = manifest.tokenizer.train else { return nil }
        let model = manifest.tokenizer.model
        var command = [
            binary, "tokenizer", "train", "-o", model, "--manifest", manifestPath,
            "--vocab-size", String(train.vocabSize), "--sample-bytes", String(train.sampleMegabytes * 1_000_000),
            "--character-coverage", String(train.characterCoverage),
        ]
        for symbol in train.userDefinedSymbols { command += ["--user-defined-symbol", symbol] }
        if let tokenizerSeed { command += ["--seed", String(tokenizerSeed)] }
        let body = [
            "mkdir -p " + ShellQuote.word((model as NSString).deletingLastPathComponent),
            ShellQuote.lines(quoted: ["exec"] + command.map(ShellQuote.word)),
        ]
        return try script(stage: "tokenizer", log: "%x-%j.out", directives: [], dependency: [], body: body)
    }

    /// One array element per task in `tasks`; `dependency` are jobs that must succeed first.
    public func ingestScript(tasks: [Int], dependency: [String]) throws -> String {
        let head = [binary, "ingest", manifestPath] + outputArguments + ["--task"]
        let tail = ["--tasks", String(taskCount), "--jobs", String(settings.cpusPerTask)]
        // The task index is the one word the shell expands.
        let words = ["exec"] + head.map(ShellQuote.word) + ["\"$SLURM_ARRAY_TASK_ID\""] + tail.map(ShellQuote.word)
        let array = SlurmScripts.arraySpec(tasks, maxParallel: settings.maxParallel)
        return try script(
            stage: "ingest", log: "%x-%A_%a.out", directives: ["--array=" + array], dependency: dependency,
            body: [ShellQuote.lines(quoted: words)])
    }

    /// Merges the task catalogs, then builds when a mixture was given.
    public func mergeScript(dependency: [String]) throws -> String {
        var body = [ShellQuote.lines(quoted: [binary, "merge", manifest.output].map(ShellQuote.word))]
        if let build {
            var command = [binary, "build", manifestPath] + outputArguments + ["--mixture", build.mixture]
            if let t = build.totalTokens { command += ["--total-tokens", t] }
            if let e = build.maxEpochs { command += ["--max-epochs", String(e)] }
            if let s = build.seed { command += ["--seed", String(s)] }
            command += ["--jobs", String(settings.cpusPerTask)]
            body.append(ShellQuote.lines(quoted: command.map(ShellQuote.word)))
        }
        return try script(stage: "merge", log: "%x-%j.out", directives: [], dependency: dependency, body: body)
    }

    private var outputArguments: [String] { outputOverride.map { ["--output", $0] } ?? [] }

    /// `0-3`, `1,3`, `0-2,5`, then `%K` when a limit is set.
    public static func arraySpec(_ tasks: [Int], maxParallel: Int?) -> String {
        var parts: [String] = []
        var i = 0
        let sorted = Array(Set(tasks)).sorted()
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(j == i ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",") + (maxParallel.map { "%\($0)" } ?? "")
    }

    /// A script: the `#SBATCH` header, then `set -euo pipefail` and the body.
    private func script(stage: String, log: String, directives: [String], dependency: [String], body: [String])
        throws -> String
    {
        // In a file name pattern, `%` is Slurm's escape character.
        let logPattern = logFolder.replacingOccurrences(of: "%", with: "%%") + "/" + log
        var options = ["--job-name=\(jobName)-\(stage)", "--output=" + logPattern, "--chdir=" + manifest.output]
        options.append("--cpus-per-task=\(settings.cpusPerTask)")
        if let m = settings.memory { options.append("--mem=" + m) }
        if let t = settings.time { options.append("--time=" + t) }
        if let p = settings.partition { options.append("--partition=" + p) }
        if !dependency.isEmpty { options.append("--dependency=afterok:" + dependency.joined(separator: ":")) }
        options += directives + settings.extraArguments
        var lines = [
            "#!/bin/bash",
            "# Written by `moe-data slurm` (\(MoeDataVersion.version)): \(SlurmScripts.purpose[stage] ?? stage).",
            "# Manifest: \(manifestPath.replacingOccurrences(of: "\n", with: " "))",
        ]
        for option in options {
            guard let quoted = ShellQuote.sbatchArgument(option) else {
                throw MoeDataError("\(option.debugDescription): an #SBATCH line cannot hold a line break")
            }
            lines.append("#SBATCH " + quoted)
        }
        lines += ["set -euo pipefail"] + body
        return lines.joined(separator: "\n") + "\n"
    }

    static let purpose = [
        "tokenizer": "trains the manifest's tokenizer before any ingest task starts",
        "ingest": "the ingest tasks, one array element each (moe-data ingest --task I --tasks N)",
        "merge": "merges the task catalogs once every task succeeded, then builds when a mixture was given",
    ]
}

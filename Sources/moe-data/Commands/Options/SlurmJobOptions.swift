import ArgumentParser
import MoeData

/// What every job `moe-data slurm` submits asks of Slurm, as sbatch's own options.
struct SlurmJobOptions: ParsableArguments {
    @Option(name: .customLong("partition"), help: "Slurm partition of every job (default: the cluster's).")
    var slurmPartition: String?

    @Option(help: ArgumentHelp("CPUs of each job; ingest and build tokenize on as many threads.", valueName: "C"))
    var cpusPerTask: Int = 1

    @Option(help: ArgumentHelp("Memory of each job, as sbatch --mem takes it (e.g. 4G).", valueName: "size"))
    var mem: String?

    @Option(
        help: ArgumentHelp("Time limit of each job, as sbatch --time takes it (e.g. 2:00:00).", valueName: "limit"))
    var time: String?

    @Option(
        help: ArgumentHelp(
            "At most this many ingest tasks at once (--array=...%K; default: no limit).", valueName: "K"))
    var maxParallel: Int?

    @Option(
        name: .customLong("sbatch-arg"),
        help: ArgumentHelp(
            "Another sbatch option for every job (e.g. --sbatch-arg=--account=abc). Repeatable.",
            valueName: "option"))
    var sbatchArguments: [String] = []

    func validate() throws {
        try OptionCheck.int(cpusPerTask, "--cpus-per-task", 1...OptionCheck.maxThreads)
        try OptionCheck.int(maxParallel, "--max-parallel", 1...1_000_000)
        for (name, value) in [("--partition", slurmPartition), ("--mem", mem), ("--time", time)] {
            guard let value else { continue }
            if value.isEmpty || value.contains(where: { $0.isNewline || $0.isWhitespace }) {
                throw ValidationError("\(name) '\(value)' must be one word (no spaces, no line breaks)")
            }
        }
        for argument in sbatchArguments where !argument.hasPrefix("-") || argument.contains(where: \.isNewline) {
            throw ValidationError(
                "--sbatch-arg '\(argument)' must be one sbatch option, starting with '-' (e.g. --sbatch-arg=--qos=high)"
            )
        }
    }

    var settings: SlurmJobSettings {
        var settings = SlurmJobSettings()
        settings.partition = slurmPartition
        settings.cpusPerTask = cpusPerTask
        settings.memory = mem
        settings.time = time
        settings.maxParallel = maxParallel
        settings.extraArguments = sbatchArguments
        return settings
    }
}

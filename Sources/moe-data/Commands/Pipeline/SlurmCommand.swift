import ArgumentParser
import Foundation
import MoeData

struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Run ingest as a Slurm job array of N tasks, then merge (and build) in a dependent job.",
        usage: "moe-data slurm <manifest> --tasks <N> [--mixture <file or preset> ...] [<options>]",
        discussion: """
            Splits the manifest's input into --tasks byte-balanced tasks (the same split `moe-data ingest --task I \
            --tasks N` makes) and writes sbatch scripts into <output>/slurm/: tokenizer.sbatch when the manifest \
            trains its tokenizer and the model is missing, ingest.sbatch (a job array, one element per task, at \
            most --max-parallel at once) and merge.sbatch (after every task succeeded: `moe-data merge`, then \
            `moe-data build` when --mixture is given). It submits them with sbatch, prints the job ids and records \
            them in <output>/catalog.sqlite. Logs go to <output>/slurm/logs/.

            Run it again after a failure: it submits only the tasks that are neither done nor still pending or \
            running in Slurm, and a new merge job. When every task is done, it submits only the merge job. \
            `moe-data status <output>` shows each task; a failed task's error names the file and line.

            The output folder must be on a filesystem every node shares, with rename atomic within a folder. \
            Each task writes its own catalog file; only the merge job writes catalog.sqlite.

            Examples (see the scripts first, then submit; then follow the tasks):
              moe-data slurm manifests/sample.yaml --tasks 4 --dry-run
              moe-data slurm manifests/sample.yaml --tasks 4 --max-parallel 2 \\
                --cpus-per-task 2 --mem 4G --time 1:00:00 \\
                --mixture openmoe-8b --total-tokens 2M
              moe-data status out/sample
            """
    )

    @Argument(help: "The manifest (YAML).")
    var manifest: String

    // Optional to the parser so that the other options are checked (and named) first; required by validate().
    @Option(
        help: ArgumentHelp(
            "Number of ingest tasks (array elements); the split depends only on the manifest and this.",
            valueName: "N"))
    var tasks: Int?

    @OptionGroup var build: SlurmBuildOptions

    @OptionGroup var outputOption: OutputOption

    @OptionGroup var jobOptions: SlurmJobOptions

    @Flag(help: "Print the scripts it would submit; write nothing, submit nothing.")
    var dryRun = false

    func validate() throws {
        try OptionCheck.int(tasks, "--tasks", 1...1_000_000)
        _ = try taskCount()
    }

    /// `--tasks`, which must be given.
    private func taskCount() throws -> Int {
        guard let tasks else {
            throw ValidationError("--tasks N is missing: the number of ingest tasks (array elements) to submit")
        }
        return tasks
    }

    func run() throws {
        let manifestPath = URL(fileURLWithPath: manifest).standardizedFileURL.path
        let m = try outputOption.manifest(manifestPath)
        let scripts = SlurmScripts(
            binary: Self.executablePath(), manifestPath: manifestPath,
            outputOverride: outputOption.output == nil ? nil : m.output, manifest: m, taskCount: try taskCount(),
            settings: jobOptions.settings, build: try build.step(for: m), tokenizerSeed: build.seed)
        let submitter = SlurmSubmitter(scripts: scripts, client: SlurmClient()) { print($0) }
        _ = try submitter.run(dryRun: dryRun)
    }

    /// The running binary's absolute path, for the jobs to run the same moe-data.
    static func executablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

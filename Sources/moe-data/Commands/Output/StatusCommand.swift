import ArgumentParser
import Foundation
import MoeData

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where the ingest tasks of an output folder stand: done, running, pending, failed, not started.",
        discussion: """
            One line per task (from `moe-data slurm`, or run by hand with `moe-data ingest --task I --tasks N`): \
            its state, documents, tokens, tokens per second and the share of its input read, and its Slurm job. \
            Then the tokenizer and merge jobs, and the total: input bytes read of all, and an estimate of the time \
            left at the rate so far. A failed task is listed with its error (the file and line) and its log.

            It writes nothing. It reads the task catalogs and completion files under <output>/tasks/, the plan \
            and job ids `moe-data slurm` recorded in catalog.sqlite, and, when Slurm's commands are on PATH, \
            the jobs' states: `squeue -t all` (finished jobs stay there for the cluster's MinJobAge), then \
            `sacct` where the cluster keeps accounting (without slurmdbd, as on scripts/slurm-local, sacct knows \
            no job), then the jobcomp/filetxt log (`scontrol show config`: JobCompLoc). A task whose catalog \
            says running while Slurm no longer runs its job was killed \
            (cancelled, out of time or memory): it shows as failed, with Slurm's state.

            Examples:
              moe-data status out/sample
              moe-data status out/sample --json | python3 -m json.tool
            """
    )

    @OptionGroup var report: ReportOptions

    func run() throws {
        let status = try PipelineStatus.load(output: report.output, client: SlurmClient())
        report.emit(text: status.render, document: { status.json })
    }
}

import ArgumentParser
import Foundation
import MoeData

struct ExportMegatronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "megatron",
        abstract: "Write Megatron-LM indexed datasets (.bin/.idx) per source, the packed rows of causal phases, and "
            + "each phase's --data-path blend.",
        discussion: """
            DIR/<source>.bin and .idx: one indexed dataset per source (MMIDIDX version 1), one sequence per \
            document of its token shards with EOS appended, as Megatron's preprocess_data.py --append-eod \
            writes them. Tokens are uint16 when the padded vocabulary has at most 65,536 ids, else int32.

            DIR/<phase>.blend.json and DIR/<phase>.data-path.txt: the phase's blend, each source weighted by its \
            target tokens in the phase (the plan of `moe-data plan`, normalised to sum to 1). Pass the text \
            file's line to Megatron as `--data-path $(cat DIR/<phase>.data-path.txt)`. Megatron samples \
            sequences with its own shuffling: it reproduces the shares over a run, not our order.

            DIR/rows/<phase>.bin and .idx for each causal phase: one sequence per packed row, in row order, \
            padding included, for a training run that keeps our exact order (see the README on disabling \
            Megatron's shuffling). With --phase P, only that phase's blend and rows are written; every source \
            is exported all the same.

            Examples:
              moe-data export megatron out/sample --to out/megatron
              moe-data export megatron out/sample --to out/megatron --force
              moe-data export megatron out/sample --to out/causal --phase v2-causal
            """
    )

    @OptionGroup var options: ExportOptions

    func run() throws {
        let start = Date()
        let export = try MegatronExport(
            output: options.output, to: options.to, phase: options.phase, force: options.force)
        let summary = try export.run(progress: options.progress)
        guard !options.quiet else { return }
        let total = summary.datasets.reduce(0) { $0 + $1.bytes }
        let what = "\(summary.datasets.count) indexed datasets (\(formatBytes(total)))"
        print(options.summary(what, to: export.destination, resumed: summary.resumed, since: start))
        for (phase, dataPath) in summary.dataPaths {
            print("phase \(phase): --data-path \(dataPath)")
        }
    }
}

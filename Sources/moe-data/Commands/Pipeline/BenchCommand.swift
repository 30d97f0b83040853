import ArgumentParser
import Foundation
import MoeData

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure one stage alone: the mixer, objectives + packing, or the trainer's row reading.",
        discussion: """
            These are benchmarks, not tests: run them on a release build and compare with BENCHMARKS.md.

            Examples:
              moe-data bench mixer --tokens 50M
              moe-data bench objective --tokens 20M
              moe-data bench rows --data out/sample
            """
    )

    enum Stage: String, ExpressibleByArgument, CaseIterable { case mixer, objective, rows }

    @Argument(
        help: ArgumentHelp(
            "Which stage: mixer (token shards → mixed stream), objective (UL2 / causal examples → packed rows) "
                + "or rows (packed rows → the trainer's rows and batches, in either packed format)."))
    var stage: Stage

    @Option(help: "Source tokens to process (e.g. 20M).")
    var tokens: String = "20M"

    @Option(help: "rows: the `moe-data build` output folder (or its packed/ subfolder) to read.")
    var data: String?

    @Option(help: "rows: how many rows to read (default: all of them once).")
    var rows: Int?

    @Option(help: "How many times to run; each run is reported.")
    var runs: Int = 3

    func validate() throws {
        _ = try OptionCheck.tokenCount(tokens, "--tokens")
        try OptionCheck.int(runs, "--runs", 1...1000)
        if let rows { try OptionCheck.int(rows, "--rows", 1...OptionCheck.maxCount) }
        if stage == .rows && data == nil { throw ValidationError(Self.dataRequired) }
    }

    func run() throws {
        // A count for any text validate() accepted.
        let n = try OptionCheck.tokenCount(tokens, "--tokens") ?? 0
        for i in 1...runs {
            switch stage {
            case .mixer:
                let r = try MixerBenchmark.run(tokens: n)
                print(
                    String(
                        format: "run %d: mixer %d tokens in %d chunks, %.3f s: %.1fM tokens/s (one thread)",
                        i, r.tokens, r.chunks, r.seconds, r.tokensPerSecond / 1e6))
            case .objective:
                let r = try ObjectiveBenchmark.run(tokens: n)
                print(
                    String(
                        format: "run %d: objectives + packing %.1fM tokens/s (UL2 %.1fM, causal %.1fM; "
                            + "UL2 padding %.1f%%, %d rows; one thread)",
                        i, r.tokensPerSecond / 1e6, r.ul2TokensPerSecond / 1e6, r.causalTokensPerSecond / 1e6,
                        r.ul2PaddingShare * 100, r.rows))
            case .rows: try benchRows(run: i)
            }
        }
    }
}

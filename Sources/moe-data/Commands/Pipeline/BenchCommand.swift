import ArgumentParser
import Foundation
import MoeData

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure one stage alone: the mixer, objectives + packing, the trainer's row reading, or the "
            + "Parquet reader.",
        discussion: """
            These are benchmarks, not tests: run them on a release build and compare with BENCHMARKS.md.

            Examples:
              moe-data bench mixer --tokens 50M
              moe-data bench objective --tokens 20M
              moe-data bench rows --data out/sample
              moe-data bench parquet stack.parquet --text-field content
            """
    )

    enum Stage: String, ExpressibleByArgument, CaseIterable { case mixer, objective, rows, parquet }

    @Argument(
        help: ArgumentHelp(
            "Which stage: mixer (token shards → mixed stream), objective (UL2 / causal examples → packed rows) "
                + "rows (packed rows → the trainer's rows and batches, in either packed format) or parquet (the "
                + "Parquet reader on FILES, without tokenizing)."))
    var stage: Stage

    @Argument(help: "parquet: the .parquet files to read; each gets its documents, skips and any error.")
    var files: [String] = []

    @Option(help: "parquet: the text column.")
    var textField: String = "text"

    @Option(help: "parquet: columns to keep into each document's meta, comma-separated.")
    var keep: String = ""

    @Option(help: "Source tokens to process (e.g. 20M).")
    var tokens: String = "20M"

    @Option(help: "rows: the `moe-data build` output folder (or its packed/ subfolder) to read.")
    var data: String?

    @Option(help: "rows: how many rows to read (default: all of them once).")
    var rows: Int?

    @Option(help: "How many times to run; each run is reported.")
    var runs: Int = 3

    func validate() throws {
        if stage == .parquet && files.isEmpty { throw ValidationError("bench parquet needs the files to read") }
        if stage != .parquet && !files.isEmpty { throw ValidationError("only bench parquet takes files") }
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
            case .parquet: runParquet(i)
            }
        }
    }
}

extension BenchCommand {
    /// One line a file (documents, skips, text bytes, or the error that ended it), then the total.
    func runParquet(_ run: Int) {
        let columns = keep.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let start = Date()
        var documents = 0, bytes = 0
        for path in files {
            let r = ParquetBenchmark.read(path: path, textField: textField, keep: columns)
            documents += r.documents
            bytes += r.textBytes
            print("\(path): \(r.documents) documents, \(r.skipped) skipped, \(r.textBytes) text bytes"
                + (r.error.map { "; error: " + $0.replacingOccurrences(of: "\n", with: " ") } ?? ""))
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "run %d: parquet %d documents, %.1f MB of text in %.3f s: %.1f MB/s; peak memory %.1f MB",
                     run, documents, Double(bytes) / 1e6, seconds, Double(bytes) / 1e6 / max(seconds, 1e-9),
                     Double(ParquetBenchmark.peakResidentBytes) / 1e6))
    }
}

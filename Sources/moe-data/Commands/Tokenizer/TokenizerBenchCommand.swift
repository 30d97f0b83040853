import ArgumentParser
import Foundation
import MoeData

struct TokenizerBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure batched encoding throughput of a model on the lines of a text file.",
        discussion: """
            Loads the lines into memory, then times `Tokenizer.encodeBatch` over all of them (best of \
            --runs runs), so the figure excludes file reading and output. bench/tokenizer_bench.sh \
            compares it with spm_encode.

            Example:
              moe-data tokenizer bench -m out/sample/tokenizer/sample.model \\
                --input README.md --jobs 2
            """
    )

    @OptionGroup var model: TokenizerModelOptions

    @Option(help: "Text file; each line is one text.")
    var input: String

    @OptionGroup var jobs: JobsOption<TokenizingJobs>

    @Option(help: "Timed runs; the fastest is reported.")
    var runs: Int = 3

    @Option(help: "Texts per encodeBatch call.")
    var batch: Int = 8192

    func validate() throws {
        try OptionCheck.int(runs, "--runs", 1...1000)
        try OptionCheck.int(batch, "--batch", 1...1_000_000)
    }

    func run() throws {
        let tokenizer = try model.load()
        var reader = try TextLines(path: input)
        var lines: [String] = []
        var bytes = 0
        while let line = try reader.next() {
            bytes += line.utf8.count
            lines.append(line)
        }
        let clock = ContinuousClock()
        var best = Duration.seconds(1e9)
        var tokens = 0
        for _ in 0..<runs {
            tokens = 0
            let start = clock.now
            var i = 0
            while i < lines.count {
                let end = min(i + batch, lines.count)
                for ids in try tokenizer.encodeBatch(Array(lines[i..<end]), jobs: jobs.count) { tokens += ids.count }
                i = end
            }
            best = min(best, clock.now - start)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        print(
            String(
                format: "lines %d bytes %d tokens %d jobs %d seconds %.3f MB/s %.2f tokens/s %.0f",
                lines.count, bytes, tokens, jobs.count, seconds, Double(bytes) / seconds / 1e6,
                Double(tokens) / seconds))
    }
}

import ArgumentParser
import Foundation
import MoeData

struct TokenizerEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode text to ids: the arguments (joined by spaces), or each line of standard input.",
        discussion: """
            Output is one line per text, as `spm_encode --output_format=id` (ids separated by spaces), a \
            JSON array (--format json), or pieces (--format piece). No eos is appended.

            Examples:
              moe-data tokenizer encode -m out/sample/tokenizer/sample.model "Hello"
              moe-data tokenizer encode -m out/sample/tokenizer/sample.model --jobs 2 \\
                < README.md > runs/ids.txt
            """
    )

    @OptionGroup var model: TokenizerModelOptions

    @Option(help: "Output format.")
    var format: IdFormat = .id

    @OptionGroup var jobs: JobsOption<TokenizingJobs>

    @Argument(help: "Text to encode; without it, standard input is encoded line by line.")
    var text: [String] = []

    /// Lines of standard input per `encodeBatch` call.
    private static let batchLines = 8192

    func run() throws {
        let tokenizer = try model.load()
        var out = OutputBuffer()
        if !text.isEmpty {
            out.appendIds(try tokenizer.encode(text.joined(separator: " ")), format: format, tokenizer: tokenizer)
            out.flush()
            return
        }
        var reader = try TextLines.standardInput()
        var batch: [String] = []
        batch.reserveCapacity(Self.batchLines)
        func encodeBatch() throws {
            for ids in try tokenizer.encodeBatch(batch, jobs: jobs.count) {
                out.appendIds(ids, format: format, tokenizer: tokenizer)
            }
            out.flush()
            batch.removeAll(keepingCapacity: true)
        }
        while let line = try reader.next() {
            batch.append(line)
            if batch.count == Self.batchLines { try encodeBatch() }
        }
        try encodeBatch()
    }
}

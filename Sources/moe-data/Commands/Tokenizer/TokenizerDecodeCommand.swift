import ArgumentParser
import Foundation
import MoeData

struct TokenizerDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode ids to text: the arguments, or each line of standard input.",
        discussion: """
            A line holds ids separated by spaces or commas, or a JSON array. Sentinel ids render as \
            <extra_id_k>. An id outside the vocabulary is an error naming its line and position.

            Examples:
              moe-data tokenizer decode -m out/sample/tokenizer/sample.model 412 9 1033
              moe-data tokenizer encode -m out/sample/tokenizer/sample.model < README.md \\
                | moe-data tokenizer decode -m out/sample/tokenizer/sample.model
            """
    )

    @OptionGroup var model: TokenizerModelOptions

    @Argument(help: "Ids to decode; without them, standard input is decoded line by line.")
    var ids: [String] = []

    func run() throws {
        let tokenizer = try model.load()
        var out = OutputBuffer()
        if !ids.isEmpty {
            out.append(try tokenizer.decode(IdLine.ids(in: ids.joined(separator: " "), at: "arguments")) + "\n")
            out.flush()
            return
        }
        var reader = try TextLines.standardInput()
        var lineNumber = 0
        while let line = try reader.next() {
            lineNumber += 1
            let parsed = try IdLine.ids(in: line, at: "<stdin>:\(lineNumber)")
            do {
                out.append(try tokenizer.decode(parsed) + "\n")
            } catch let error as MoeDataError {
                throw MoeDataError("<stdin>:\(lineNumber): \(error.description)")
            }
        }
        out.flush()
    }
}

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
        let tokenizer = try Tokenizer(modelPath: model.model, sentinelCount: model.sentinels)
        var out = OutputBuffer()
        if !ids.isEmpty {
            out.append(try tokenizer.decode(parseIds(ids.joined(separator: " "), where: "arguments")) + "\n")
            out.flush()
            return
        }
        var reader = try TextLines.standardInput()
        var lineNumber = 0
        while let line = try reader.next() {
            lineNumber += 1
            let parsed = try parseIds(line, where: "<stdin>:\(lineNumber)")
            do {
                out.append(try tokenizer.decode(parsed) + "\n")
            } catch let error as MoeDataError {
                throw MoeDataError("<stdin>:\(lineNumber): \(error.description)")
            }
        }
        out.flush()
    }
}

/// "1 2 3", "1,2,3" or "[1, 2, 3]" → ids.
func parseIds(_ line: String, where place: String) throws -> [UInt32] {
    var body = Substring(line).trimmingCharacters(in: .whitespaces)[...]
    if body.hasPrefix("[") {
        guard body.hasSuffix("]") else { throw MoeDataError("\(place): JSON array is not closed") }
        body = body.dropFirst().dropLast()
    }
    var ids: [UInt32] = []
    for (i, field) in body.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).enumerated() {
        guard let id = UInt32(field) else {
            throw MoeDataError("\(place): item \(i) \"\(field)\" is not an id (a non-negative integer)")
        }
        ids.append(id)
    }
    return ids
}

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

    @Option(help: "Output format: id, json or piece.")
    var format: String = "id"

    @Option(help: "Threads encoding standard input.")
    var jobs: Int = 1

    @Argument(help: "Text to encode; without it, standard input is encoded line by line.")
    var text: [String] = []

    func validate() throws {
        try OptionCheck.int(jobs, "--jobs", 1...OptionCheck.maxThreads)
    }

    func run() throws {
        guard let outputFormat = IdFormat(rawValue: format) else {
            throw MoeDataError("--format \(format) is unknown; use id, json or piece")
        }
        guard jobs > 0 else { throw MoeDataError("--jobs \(jobs) must be positive") }
        let tokenizer = try Tokenizer(modelPath: model.model, sentinelCount: model.sentinels, engine: model.tokenizerEngine)
        var out = OutputBuffer()
        if !text.isEmpty {
            out.appendIds(try tokenizer.encode(text.joined(separator: " ")), format: outputFormat, tokenizer: tokenizer)
            out.flush()
            return
        }
        var reader = try TextLines.standardInput()
        var batch: [String] = []
        batch.reserveCapacity(8192)
        func encodeBatch() throws {
            for ids in try tokenizer.encodeBatch(batch, jobs: jobs) {
                out.appendIds(ids, format: outputFormat, tokenizer: tokenizer)
            }
            out.flush()
            batch.removeAll(keepingCapacity: true)
        }
        while let line = try reader.next() {
            batch.append(line)
            if batch.count == 8192 { try encodeBatch() }
        }
        try encodeBatch()
    }
}

enum IdFormat: String {
    case id, json, piece
}

/// Builds standard output in memory and writes it in large blocks.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func appendIds(_ ids: [UInt32], format: IdFormat, tokenizer: Tokenizer) {
        switch format {
        case .id:
            for (i, id) in ids.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: " ")) }
                appendDecimal(id)
            }
        case .json:
            bytes.append(UInt8(ascii: "["))
            for (i, id) in ids.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                appendDecimal(id)
            }
            bytes.append(UInt8(ascii: "]"))
        case .piece:
            append(ids.map { tokenizer.piece($0) ?? "?" }.joined(separator: " "))
        }
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count > 1 << 20 { flush() }
    }

    private mutating func appendDecimal(_ value: UInt32) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[i]) }
        }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}

import ArgumentParser
import Foundation
import MoeData

struct TokenizerVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: """
            Encode a sample of a corpus with the native encoder and with the reference library (libsentencepiece, \
            or Hugging Face tokenizers for a tokenizer.json) and report any difference.
            """,
        discussion: """
            The native unigram encoder is meant to give exactly libsentencepiece's ids. This checks it on your own \
            data: every --every-th document of each source of the manifest (up to --max-mb of text) is encoded both \
            ways, and each document whose ids differ is reported with its source, index, token position and byte \
            offset. Exits 1 when any document differs; then run ingest with --tokenizer-engine library.

            For a tokenizer.json model, the reference is Python's tokenizers (`encode_batch`, no special tokens \
            added), run with MOE_DATA_PYTHON or python3; it must be installed (pip install tokenizers).

            Example:
              moe-data tokenizer verify manifests/sample.yaml --every 10 --max-mb 50
            """
    )

    @Argument(help: "The manifest (YAML) whose sources and tokenizer model are checked.")
    var manifest: String

    @OptionGroup var outputOption: OutputOption

    @Option(help: "Check every N-th document of each source.")
    var every: Int = 1

    @Option(help: "Stop after this many megabytes of checked text.")
    var maxMb: Int = 100

    @OptionGroup var jobs: JobsOption<TokenizingJobs>

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        try OptionCheck.int(every, "--every", 1...OptionCheck.maxCount)
        try OptionCheck.int(maxMb, "--max-mb", 1...100_000_000)
    }

    func run() throws {
        let m = try outputOption.manifest(manifest)
        let verifier = try EncoderVerifier(modelPath: m.tokenizer.model, jobs: jobs.count)
        let start = Date()
        let report = try verifier.verify(manifest: m, every: every, maxBytes: maxMb * 1_000_000) { r in
            if !quiet {
                let line = "\r\(r.documents) documents, \(r.bytes / 1_000_000) MB, \(r.differing) differing"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        for d in report.differences { print("DIFFERENT: \(d)") }
        print(
            String(
                format: "checked %d documents, %d bytes, %d tokens in %.1f s: %@", report.documents, report.bytes,
                report.tokens, Date().timeIntervalSince(start),
                report.differing == 0 ? "identical ids" : "\(report.differing) documents differ"))
        // The differences are the report; the exit status says there were some.
        if report.differing > 0 { throw ExitCode(1) }
    }
}

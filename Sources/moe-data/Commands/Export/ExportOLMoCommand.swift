import ArgumentParser
import Foundation
import MoeData

struct ExportOLMoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "olmo",
        abstract: "Write a causal phase's token stream as dolma's token memmaps (.npy + .csv.gz) for OLMo / OLMoE.",
        discussion: """
            The phase's packed rows in row order, padding removed: documents each followed by EOS, in the \
            mixer's exact order. DIR/<phase>/part-NNNNN.npy hold the tokens with no header (uint16 when the \
            padded vocabulary has at most 65,536 ids, else uint32), at most 1 GiB each and a whole number of \
            sequence-length windows but the last; each has its dolma .csv.gz (start,end,id,src,loc per run of a \
            document; loc is the run's first token in the document). DIR/<phase>.olmo.yaml lists the files for \
            OLMo's data.paths with the model keys that must match. OLMo reads each file in windows of \
            max_sequence_length and drops a file's last partial window.

            UL2 phases are refused: OLMo's data has no loss-mask input. Without --phase, the mixture's only \
            causal phase is exported.

            Examples:
              moe-data export olmo out/sample --to out/olmo
              moe-data export olmo out/sample --to out/olmo --phase v2-causal --force
            """
    )

    @OptionGroup var options: ExportOptions

    @Option(help: "Largest .npy file, e.g. 1GiB (the default, dolma's) or 64MiB.")
    var maxFileBytes: String = "1GiB"

    func validate() throws {
        let bytes = try ByteSize.option(maxFileBytes, name: "--max-file-bytes")
        guard bytes <= OLMoExport.defaultMaxFileBytes else {
            throw ValidationError("--max-file-bytes \(maxFileBytes) is over 1GiB, the largest file OLMo's dolma writes")
        }
    }

    func run() throws {
        let start = Date()
        let bytes = try ByteSize.option(maxFileBytes, name: "--max-file-bytes")
        let export = try OLMoExport(
            output: options.output, to: options.to, phase: options.phase, maxFileBytes: bytes, force: options.force)
        let summary = try export.run(progress: options.progress)
        guard !options.quiet else { return }
        let what = "\(summary.tokens) tokens in \(summary.files.count) memmap files"
        print(options.summary(what, to: export.destination, resumed: summary.resumed, since: start))
        print(summary.config, terminator: "")
    }
}

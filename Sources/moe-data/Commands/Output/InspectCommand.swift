import ArgumentParser
import Foundation
import MoeData

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Decode a packed training row to text: segments, sources, mode token, sentinels, inputs vs targets.",
        discussion: """
            Each segment of the row is shown with its source, objective (ul2 or causal), denoiser and the documents \
            (id, first token, count) its tokens came from. The part without loss (mode prefix + inputs) is shown apart \
            from the part with loss (targets, EOS included); sentinels print as <extra_id_k>, EOS as </s>. \
            With --doc <source>:<doc_id> instead, it says whether the dedup stage removed that document, and why \
            (the surviving copy and the estimated Jaccard similarity, or the evaluation passage).

            Examples:
              moe-data inspect out/sample --row 0
              moe-data inspect out/sample --row 1200 --ids
            """
    )

    @Argument(help: "The output folder of `moe-data build`.")
    var output: String

    @Option(help: "Row number (0-based).")
    var row: Int = 0

    @Flag(help: "Also print each segment's token ids.")
    var ids = false

    @Option(help: ArgumentHelp("Say whether dedup removed this document, and why.", valueName: "source:doc_id"))
    var doc: String?

    func validate() throws {
        try OptionCheck.int(row, "--row", 0...OptionCheck.maxCount, "0-based")
    }

    func run() throws {
        if let doc {
            let catalog = try Catalog.openExisting(outputDirectory: output)
            print(try DedupVerdict.render(doc, catalog: catalog), terminator: "")
            return
        }
        let inspector = try RowInspector(outputDirectory: output)
        print(try inspector.render(row: row, showIds: ids), terminator: "")
    }
}

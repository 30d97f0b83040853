import ArgumentParser
import Foundation

/// What both exports take: the build to read, the folder to write, the phase, --force and --quiet.
struct ExportOptions: ParsableArguments {
    @Argument(help: "The output folder of a finished `moe-data build`.")
    var output: String

    @Option(help: "The folder to write (new, empty, or an unfinished export to resume).")
    var to: String

    @Option(help: "The phase to export, by name (see each command's default).")
    var phase: String?

    @Flag(help: "Overwrite a finished export in --to.")
    var force = false

    @Flag(help: "No progress and no summary.")
    var quiet = false

    /// Prints a progress line on stderr unless --quiet.
    func progress(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// The summary's first line: what was written where, what an earlier run had written, how long it took.
    func summary(_ what: String, to destination: URL, resumed: Int, since start: Date) -> String {
        "exported \(what) to \(destination.path)"
            + (resumed > 0 ? ", \(resumed) of them by an earlier run" : "")
            + String(format: " in %.2f s", Date().timeIntervalSince(start))
    }
}

import ArgumentParser
import MoeData

/// `--output`: where a command that takes a manifest writes (or reads) instead of the manifest's `output`.
struct OutputOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Output folder, overriding the manifest's `output` (a tokenizer model the manifest keeps there moves "
                + "along).",
            valueName: "dir"))
    var output: String?

    func manifest(_ path: String) throws -> Manifest { try Manifest.load(path: path, output: output) }
}

import ArgumentParser
import Foundation
import MoeData

@main
struct MoeDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moe-data",
        abstract: "Prepare pretraining data mixtures for Mixture-of-Experts models, and train one on them.",
        discussion: """
            Examples (the README's main command on the built-in sample, then its figures):
              moe-data build manifests/sample.yaml --mixture openmoe-8b --total-tokens 2M
              moe-data stats out/sample
            """,
        // What ArgumentParser would print; `main` prints `VersionReport.text`, which opens OpenBLAS to
        // name it, only when asked (the configuration is made by every command).
        version: VersionReport.short,
        subcommands: [
            BenchCommand.self,
            AnalyzeCommand.self,
            BuildCommand.self,
            DedupCommand.self,
            ExportCommand.self,
            FaultPointsCommand.self,
            IngestCommand.self,
            MergeCommand.self,
            InspectCommand.self,
            PlanCommand.self,
            SlurmCommand.self,
            StatsCommand.self,
            StatusCommand.self,
            TokenizerCommand.self,
            TrainCommand.self,
            VerifyCommand.self,
        ]
    )

    /// Parses, then runs; every error, the argument parser's included, goes to `ErrorReport`.
    /// With `MOE_DATA_PARSE_ONLY=1` it stops after parsing and validating the arguments, which is
    /// how the tests check that every `--help` example is a command that parses.
    static func main() {
        do {
            if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
                print(VersionReport.text)
                return
            }
            var command = try parseAsRoot()
            if ProcessInfo.processInfo.environment["MOE_DATA_PARSE_ONLY"] == "1" {
                print("parsed: \(type(of: command).configuration.commandName ?? "moe-data")")
                return
            }
            try command.run()
        } catch {
            ErrorReport.exit(with: error)
        }
    }
}

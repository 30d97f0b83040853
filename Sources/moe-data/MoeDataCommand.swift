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
        version: VersionReport.text,
        subcommands: [
            BenchCommand.self,
            AnalyzeCommand.self,
            BuildCommand.self,
            FaultPointsCommand.self,
            IngestCommand.self,
            InspectCommand.self,
            PlanCommand.self,
            StatsCommand.self,
            TokenizerCommand.self,
            TrainCommand.self,
            VerifyCommand.self,
        ]
    )

    /// Parses, then runs; every error, the argument parser's included, prints as `error: ...`.
    /// With `MOE_DATA_PARSE_ONLY=1` it stops after parsing and validating the arguments, which is
    /// how the tests check that every `--help` example is a command that parses.
    static func main() {
        do {
            var command = try parseAsRoot()
            if ProcessInfo.processInfo.environment["MOE_DATA_PARSE_ONLY"] == "1" {
                print("parsed: \(type(of: command).configuration.commandName ?? "moe-data")")
                return
            }
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success, !(error is ExitCode) else { exit(withError: error) }
            let message = message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            let text = message.hasPrefix("error: ") ? message : "error: \(message)"
            FileHandle.standardError.write(Data("\(text)\n".utf8))
            if error is ValidationError || isParseError(error) {
                let hint = "See 'moe-data help' or '<command> --help' for the options.\n"
                FileHandle.standardError.write(Data(hint.utf8))
            }
            exit(withError: ExitCode(code.rawValue))
        }
    }

    /// Errors from the argument parser itself (not from a command's `run`).
    private static func isParseError(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

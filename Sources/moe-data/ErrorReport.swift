import ArgumentParser
import Foundation
import MoeData

/// The one way an error leaves the tool: one `error: ...` line on standard error, then the exit code:
/// 64 when the command line is refused (by the argument parser or a `validate()`), 1 when the work fails.
/// Commands only throw; whatever they throw (the argument parser's errors, `ValidationError`,
/// `MoeDataError`, `TrainError`, a file-system error) ends here.
enum ErrorReport {
    /// Prints `error` and exits. Help, `--version` and a bare `ExitCode` (thrown by a command that
    /// has already printed its report, e.g. `tokenizer verify` finding differences) print no error line.
    static func exit(with error: any Error) -> Never {
        let code = MoeDataCommand.exitCode(for: error)
        guard code != .success, !(error is ExitCode) else { MoeDataCommand.exit(withError: error) }
        FileHandle.standardError.write(Data("\(line(for: error))\n".utf8))
        guard isUsageError(error) else { MoeDataCommand.exit(withError: ExitCode.failure) }
        FileHandle.standardError.write(Data("See 'moe-data help' or '<command> --help' for the options.\n".utf8))
        // 64 (EX_USAGE) for any refusal of the command line, whatever type the refusing check throws.
        MoeDataCommand.exit(withError: ExitCode.validationFailure)
    }

    /// The error line: a file-system error as a sentence naming the file, anything else as its description.
    static func line(for error: any Error) -> String {
        let message = (FileErrors.describe(error) ?? MoeDataCommand.message(for: error))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return message.hasPrefix("error: ") ? message : "error: \(message)"
    }

    /// A refusal of the command line itself (the argument parser's, or a `validate()`'s), which
    /// gets a pointer to the help.
    private static func isUsageError(_ error: any Error) -> Bool {
        error is ValidationError || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

import ArgumentParser
import Foundation
import MoeData

/// Options shared by the commands that do work.
struct CommonOptions: ParsableArguments {
    @Option(help: "Worker threads for tokenization (default: all cores). The output does not depend on it.")
    var jobs: Int?

    @Option(help: ArgumentHelp(
            "Encoder: auto (native for unigram models, libsentencepiece for BPE/char/word), native, or library.",
            discussion: "Both give libsentencepiece 0.1.97's ids; `moe-data tokenizer verify` checks that on your corpus."))
    var tokenizerEngine: TokenizerEngine = .auto

    @Flag(help: "No progress line and no summary.")
    var quiet = false

    var resolvedJobs: Int { max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount) }
}

extension TokenizerEngine: ExpressibleByArgument {}

/// Prints a user-facing error on stderr and exits 1, instead of a stack trace.
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as MoeDataError {
        FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
        throw ExitCode(1)
    } catch let e as ExitCode {
        throw e
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

import Foundation
import Testing

/// The command line in swift-argument-parser's idiom: one `--jobs` everywhere (`--threads` a hidden
/// alias), options with a fixed set of words listed in --help and refused by the parser, and one error
/// path with its exit codes (64 for a refused command line, 1 for a failed run).
@Suite struct CLIOptionTests {
    static func parse(_ args: [String]) throws -> TestSupport.Output {
        try TestSupport.moeData(args, environment: ["MOE_DATA_PARSE_ONLY": "1"])
    }

    /// The command's words (`tokenizer train`) without its arguments.
    static func words(_ command: [String]) -> [String] {
        Array(command.prefix { !$0.hasPrefix("-") && !$0.contains(".") })
    }

    /// A help screen with its wrapping undone, so a phrase can be found whatever the width.
    static func help(_ command: [String]) throws -> String {
        try TestSupport.moeData(words(command) + ["--help"]).stdout
            .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
    }

    /// Each command with threads, with the arguments it needs to parse.
    static let threaded: [[String]] = [
        ["ingest", "manifests/sample.yaml"], ["build", "manifests/sample.yaml", "--mixture", "openmoe-8b"],
        ["train", "--dry-run"], ["analyze", "x.safetensors", "--data", "out/sample"],
        ["tokenizer", "train", "-o", "x.model", "--input", "README.md"],
        ["tokenizer", "encode", "-m", "x.model"], ["tokenizer", "bench", "-m", "x.model", "--input", "README.md"],
        ["tokenizer", "verify", "manifests/sample.yaml"],
    ]

    @Test func jobsIsTheOneNameAndThreadsAHiddenAlias() throws {
        for command in Self.threaded {
            let name = Self.words(command).joined(separator: " ")
            let help = try Self.help(command)
            let defaultText = name == "tokenizer train" ? "(default: 2, not all cores: " : "(default: all cores)"
            #expect(
                help.contains("--jobs <jobs>") && help.contains(defaultText),
                "\(name) --help lacks --jobs or its default \(defaultText): \(help)")
            #expect(!help.contains("--threads"), "\(name) --help shows the old name --threads")
            for option in ["--jobs", "--threads"] {
                let r = try Self.parse(command + [option, "2"])
                #expect(r.status == 0 && r.stdout.hasPrefix("parsed:"), "\(name) \(option) 2: \(r.stderr)")
            }
            let zero = try Self.parse(command + ["--threads", "0"])
            #expect(zero.status == 64 && zero.stderr.hasPrefix("error: --threads 0 must be"), "\(name): \(zero.stderr)")
            let both = try Self.parse(command + ["--jobs", "2", "--threads", "2"])
            #expect(
                both.status == 64 && both.stderr.contains("--threads is the old name of --jobs"),
                "\(name) with both names: \(both.stderr)")
        }
    }

    @Test func wordOptionsListTheirChoicesAndRefuseOthers() throws {
        let cases: [(command: [String], option: String, choices: [String])] = [
            (["train", "--dry-run"], "--schedule", ["rsqrt", "cosine", "constant"]),
            (["train", "--dry-run"], "--gates", ["raw", "renormalized"]),
            (["tokenizer", "encode", "-m", "x.model"], "--format", ["id", "json", "piece"]),
            (["tokenizer", "train", "-o", "x.model", "--input", "README.md"], "--format", ["auto", "text", "jsonl"]),
            (["tokenizer", "train", "-o", "x.model", "--input", "README.md"], "--mode-tokens", ["text", "reserved"]),
            (
                ["tokenizer", "train", "-o", "x.model", "--input", "README.md"], "--normalization",
                ["identity", "nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf"]
            ),
        ]
        for (command, option, choices) in cases {
            let words = Self.words(command)
            let help = try Self.help(command)
            let values = "(values: \(choices.joined(separator: ", "))"
            #expect(help.contains(values), "\(words.joined(separator: " ")) --help does not list \(values)")
            for choice in choices {
                let r = try Self.parse(command + [option, choice])
                #expect(r.status == 0, "\(words) \(option) \(choice): \(r.stderr)")
            }
            // Refused by the parser, before any file is opened (x.model does not exist).
            let bad = try TestSupport.moeData(command + [option, "nonsense"])
            #expect(
                bad.status == 64 && bad.stderr.hasPrefix("error: The value 'nonsense' is invalid for '\(option)")
                    && bad.stderr.contains("'\(choices[0])'"), "\(words) \(option) nonsense: \(bad.stderr)")
        }
    }

    @Test func optionsThatGoTogetherAreCheckedBeforeTheRun() throws {
        let cases: [([String], String)] = [
            (["train", "--steps", "1"], "--data is required"),
            (
                ["tokenizer", "train", "-o", "x.model"],
                "no training inputs: give --manifest M or at least one --input FILE"
            ),
            (
                ["tokenizer", "train", "-o", "x.model", "--input", "README.md", "--share", "1", "--share", "2"],
                "2 --share values for 1 --input files; give one per input or none"
            ),
            (
                ["tokenizer", "train", "-o", "x.model", "--manifest", "manifests/sample.yaml", "--source-share", "c4"],
                "--source-share c4: expected NAME=WEIGHT with a positive weight"
            ),
        ]
        for (args, sentence) in cases {
            let r = try Self.parse(args)
            #expect(
                r.status == 64 && r.stderr.hasPrefix("error: \(sentence)") && r.stderr.contains("--help"),
                "\(args): \(r.stderr)")
        }
    }

    @Test func aFailedRunIsOneLineAndExitsOne() throws {
        let missing = "/nonexistent-moe-data-test/out"
        for args in [
            ["stats", missing], ["train", "--data", missing, "--steps", "1"],
            ["tokenizer", "info", "-m", missing + "/x.model"],
        ] {
            let r = try TestSupport.moeData(args)
            #expect(r.status == 1, "\(args): status \(r.status)")
            let lines = r.stderr.split(separator: "\n")
            #expect(
                lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(missing),
                "\(args): \(r.stderr)")
        }
    }
}

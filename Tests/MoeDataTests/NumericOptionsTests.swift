import Foundation
import JSON
import MoeTestSupport
import Testing

/// Every numeric option of every command, found in the real binary's help (its machine-readable
/// form, `--experimental-dump-help`, so new options are covered without touching this test), is
/// tried with 0, -1, NaN, infinity and a huge value: each is refused with a sentence naming the
/// option, or has a meaning the help states. Never a signal (issue 25 acceptance).
@Suite(.serialized) struct NumericOptionsTests {
    static let values = ["0", "-1", "nan", "inf", "9223372036854775807"]

    /// Values an option accepts on purpose, with the phrase of its help that says so.
    static let documented: [String: (values: Set<String>, helpSays: String)] = [
        "build --seed": (["0", "9223372036854775807"], "Seed"),
        "train --seed": (["0", "9223372036854775807"], "Seed"),
        "tokenizer train --seed": (["0", "9223372036854775807"], "Seed"),
        "slurm --seed": (["0", "9223372036854775807"], "Seed"),
        "inspect --row": (["0"], "0-based"),
        "analyze --layer": (["0"], "0-based"),
        "train --warmup": (["0"], "0 = none"),
        "train --clip": (["0"], "0 = off"),
        "train --weight-decay": (["0"], "0 = off"),
        "train --aux-loss": (["0"], "0 = off"),
        "train --router-z-loss": (["0"], "0 = off"),
        "train --output-z-loss": (["0"], "0 = off"),
        "train --group-size": (["0"], "0 = the whole micro-batch"),
        "train --eval-rows": (["0"], "0 = none"),
        "train --eval-every": (["0"], "0 = only at the end"),
        "tokenizer encode --sentinels": (["0"], "0 = none"),
        "tokenizer decode --sentinels": (["0"], "0 = none"),
        "tokenizer info --sentinels": (["0"], "0 = none"),
        "tokenizer bench --sentinels": (["0"], "0 = none"),
        "tokenizer export-hf --sentinels": (["0"], "0 = none"),
    ]

    /// Options typed as strings that hold numbers, checked like the typed ones.
    static let numericStrings: Set<String> = ["--total-tokens", "--tokens", "--sample-bytes", "--checkpoint-at"]

    struct Run {
        var status: Int32
        var signaled: Bool
        var timedOut: Bool
        var stderr: String
    }

    /// Runs the binary; one that is still running after `timeout` (a value that made it start real
    /// work, e.g. a benchmark of 2^63 runs) is stopped and reported.
    static func run(_ args: [String], timeout: TimeInterval = 60) throws -> Run {
        let out = try ChildProcess.moeData(args, timeout: timeout)
        return Run(
            status: out.status, signaled: out.signaled && !out.timedOut, timedOut: out.timedOut, stderr: out.stderr)
    }

    struct Option {
        var command: [String]
        var name: String
        var help: String
        /// Arguments every run needs (required positionals and options) so parsing reaches the value.
        var required: [String]
    }

    /// Every option that takes a value, per command, from the dump of the help.
    static func options() throws -> [Option] {
        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = ["--experimental-dump-help"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        let root = try JSONValue.parse(data)
        var found: [Option] = []
        func visit(_ command: JSONValue, path: [String]) {
            let name = command["commandName"]?.stringValue ?? ""
            let here = path + (path.isEmpty && name == "moe-data" ? [] : [name])
            if name == "help" { return }
            let arguments = command["arguments"]?.arrayValue ?? []
            var required: [String] = []
            for a in arguments where a["isOptional"] != .bool(true) {
                let value = a["allValues"]?.arrayValue?.first?.stringValue ?? "/nonexistent-moe-data-test/x"
                if a["kind"]?.stringValue == "positional" { required.append(value) }
                if a["kind"]?.stringValue == "option", let long = longName(a) { required += ["--\(long)", value] }
            }
            for a in arguments where a["kind"]?.stringValue == "option" {
                guard let long = longName(a), !["help", "version"].contains(long) else { continue }
                let req = a["isOptional"] == .bool(true) ? required : requiredWithout(required, long)
                let help = a["abstract"]?.stringValue ?? ""
                found.append(Option(command: here, name: "--\(long)", help: help, required: req))
            }
            for sub in command["subcommands"]?.arrayValue ?? [] { visit(sub, path: here) }
        }
        visit(try #require(root["command"]), path: [])
        return found
    }

    static func longName(_ argument: JSONValue) -> String? {
        argument["names"]?.arrayValue?.first { $0["kind"]?.stringValue == "long" }?["name"]?.stringValue
    }

    static func requiredWithout(_ required: [String], _ long: String) -> [String] {
        guard let i = required.firstIndex(of: "--\(long)") else { return required }
        var out = required
        out.removeSubrange(i...(i + 1))
        return out
    }

    @Test func everyNumericOptionRefusesNonsenseByName() throws {
        let all = try Self.options()
        #expect(all.count > 40, "found only \(all.count) options in the help")
        var numeric = 0
        var failures: [String] = []
        for option in all {
            let base = option.command + option.required
            let probe = try Self.run(base + ["\(option.name)=abc"])
            let typed = probe.stderr.contains("The value 'abc' is invalid for '\(option.name)")
            guard typed || Self.numericStrings.contains(option.name) else { continue }
            numeric += 1
            let key = (option.command + [option.name]).joined(separator: " ")
            if let doc = Self.documented[key], !option.help.contains(doc.helpSays) {
                failures.append("\(key): the help does not say '\(doc.helpSays)': \(option.help)")
            }
            for value in Self.values {
                let r = try Self.run(base + ["\(option.name)=\(value)"])
                if r.timedOut { failures.append("\(key)=\(value): still running after a minute"); continue }
                if r.signaled { failures.append("\(key)=\(value): killed by signal \(r.status)"); continue }
                let named = r.status != 0 && r.stderr.contains(option.name)
                let meant = Self.documented[key]?.values.contains(value) == true
                if !named && !meant {
                    failures.append(
                        "\(key)=\(value): status \(r.status), no error naming the option: \(r.stderr.prefix(300))")
                }
            }
        }
        #expect(numeric > 30, "only \(numeric) numeric options found")
        print("\(all.count) options with a value, \(numeric) numeric, \(numeric * Self.values.count) runs")
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.joined(separator: "\n"))")
    }
}

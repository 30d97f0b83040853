import Foundation
import Testing

/// Every `--help` screen of the real binary: each example must be copyable (a long one continued
/// with ` \`, never wrapped to column 0), must parse (MOE_DATA_PARSE_ONLY=1 stops the binary after
/// parsing and validating), and must name paths that exist in the repository or that an earlier
/// example (or the README's build of the built-in sample, out/sample) creates.
@Suite struct CLIHelpTests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the binary in the repository with an environment.
    static func run(_ args: [String], env: [String: String] = [:]) throws -> TestSupport.Output {
        try TestSupport.run("/usr/bin/env", env.map { "\($0)=\($1)" } + [TestSupport.binary.path] + args, cwd: repo)
    }

    /// Subcommand paths, read from the SUBCOMMANDS section of each help screen.
    static func commandPaths() throws -> [[String]] {
        var out: [[String]] = [[]]
        var queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            let help = try run(path + ["--help"]).stdout
            guard let section = help.range(of: "SUBCOMMANDS:") else { continue }
            for line in help[section.upperBound...].split(separator: "\n") {
                if !line.hasPrefix(" ") { break }
                // "  name   abstract": a name at column 2; deeper lines continue an abstract.
                guard line.range(of: "^  [a-z][a-z-]*( {2,}|$)", options: .regularExpression) != nil,
                    let name = line.split(separator: " ").first
                else { continue }
                let sub = path + [String(name)]
                if name != "help" && !out.contains(sub) && sub.count <= 2 { out.append(sub); queue.append(sub) }
            }
        }
        return out
    }

    struct Example { var screen: String; var text: String }

    /// The examples of a help screen: the indented lines after an "Example…:" line, joined
    /// across ` \` continuations. Fails on a continuation (or a wrapped line) at column 0.
    static func examples(screen: String, help: String) -> [Example] {
        var out: [Example] = []
        var inExamples = false
        var pending: String?
        for line in help.components(separatedBy: "\n") {
            if line.hasPrefix("Example") && line.hasSuffix(":") { inExamples = true; continue }
            guard inExamples else { continue }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { inExamples = false; pending = nil; continue }
            if !line.hasPrefix(" ") {
                Issue.record("\(screen): an example line starts at column 0 (wrapped or continued there): '\(line)'")
                inExamples = false
                continue
            }
            var text = (pending.map { $0 + " " } ?? "") + line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("\\") {
                text.removeLast()
                pending = text.trimmingCharacters(in: .whitespaces)
                continue
            }
            pending = nil
            out.append(Example(screen: screen, text: text))
        }
        return out
    }

    /// Words of a shell line (double quotes only), split into the commands of a pipeline.
    static func commands(_ line: String) -> [[String]] {
        var words: [String] = [], current = "", quoted = false
        for ch in line {
            if ch == "\"" { quoted.toggle(); continue }
            if ch == " " && !quoted { if !current.isEmpty { words.append(current) }; current = ""; continue }
            current.append(ch)
        }
        if !current.isEmpty { words.append(current) }
        return words.split(separator: "|").map(Array.init)
    }

    static let outputOptions: Set<String> = ["--out", "--output", "-o", ">", "--to"]
    /// Option values and positional words that are paths to read.
    static func looksLikePath(_ w: String) -> Bool {
        let suffixes = [".yaml", ".md", ".model", ".txt", ".jsonl"]
        return !w.hasPrefix("-") && (w.contains("/") || suffixes.contains { w.hasSuffix($0) })
    }

    @Test func everyHelpExampleParsesAndNamesPathsThatExist() throws {
        var all: [Example] = []
        for path in try CLIHelpTests.commandPaths() {
            let r = try CLIHelpTests.run(path + ["--help"])
            #expect(r.status == 0, "moe-data \(path.joined(separator: " ")) --help: \(r.stderr)")
            let found = CLIHelpTests.examples(screen: (["moe-data"] + path).joined(separator: " "), help: r.stdout)
            // Every screen that runs something has an example (groups included: moe-data, tokenizer).
            #expect(
                !found.isEmpty || path == ["fault-points"] && r.stdout.contains("MOE_DATA_FAULT"),
                "moe-data \(path.joined(separator: " ")) --help has no example")
            all += found
        }
        #expect(all.count >= 25, "found only \(all.count) examples")
        // Paths examples create (in any screen): the README's build writes out/sample (the manifest's
        // output), and every --out/--output/-o/> value.
        var created: Set<String> = ["out/sample"]
        for example in all {
            let words = CLIHelpTests.commands(example.text).flatMap { $0 }
            for (i, w) in words.enumerated() where CLIHelpTests.outputOptions.contains(w) && i + 1 < words.count {
                created.insert(words[i + 1])
            }
        }
        for example in all {
            for (k, var words) in CLIHelpTests.commands(example.text).enumerated() {
                while let first = words.first, first.contains("=") && !first.hasPrefix("-") { words.removeFirst() }
                // A later part of a pipeline may be another tool (`| python3 -m json.tool`).
                guard words.first == "moe-data" else {
                    if k == 0 { Issue.record("\(example.screen): example does not run moe-data: \(example.text)") }
                    continue
                }
                var args: [String] = []
                var i = 1
                while i < words.count {
                    let w = words[i]
                    if w == "<" || w == ">", i + 1 < words.count {
                        if w == "<" { checkPath(words[i + 1]) }
                        i += 2
                        continue
                    }
                    if CLIHelpTests.outputOptions.contains(w), i + 1 < words.count {
                        created.insert(words[i + 1])
                        args += [w, words[i + 1]]
                        i += 2
                        continue
                    }
                    if CLIHelpTests.looksLikePath(w) { checkPath(w) }
                    args.append(w)
                    i += 1
                }
                let parsed = try CLIHelpTests.run(args, env: ["MOE_DATA_PARSE_ONLY": "1"])
                #expect(
                    parsed.status == 0 && parsed.stdout.hasPrefix("parsed:"),
                    "\(example.screen): example does not parse: \(example.text)\n\(parsed.stderr)")
            }
            func checkPath(_ p: String) {
                let pattern = p.components(separatedBy: "*").first ?? p
                let exists = FileManager.default.fileExists(atPath: CLIHelpTests.repo.appendingPathComponent(p).path)
                let made = created.contains { pattern == $0 || pattern.hasPrefix($0 + "/") }
                #expect(
                    exists || made,
                    "\(example.screen): \(p) does not exist and no example creates it: \(example.text)")
            }
        }
    }

    @Test func errorsHaveOneFormat() throws {
        // The argument parser's own errors, a command's validation and a pipeline error all print `error: `.
        for args in [
            ["build"], ["stats", "--no-such-option"], ["train", "--data", "/nonexistent", "--steps", "0"],
            ["stats", "/nonexistent/folder"],
        ] {
            let r = try CLIHelpTests.run(args)
            #expect(r.status != 0)
            #expect(r.stderr.hasPrefix("error: ") && !r.stderr.contains("Error:"), "moe-data \(args): \(r.stderr)")
        }
    }

    @Test func versionNamesTheCommitAndTheLibraries() throws {
        let r = try CLIHelpTests.run(["--version"])
        #expect(r.status == 0)
        for word in ["moe-data 0.", "commit: ", "zstd 1.", "sqlite 3.", "zlib 1.", "OpenBLAS 0.", "sentencepiece 0."] {
            #expect(r.stdout.contains(word), "--version lacks \(word): \(r.stdout)")
        }
        // The commit is one of this repository's (the binary may predate the newest commit when
        // it was built from a modified tree; then it says so).
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("commit: ") } ?? ""
        let printed = line.dropFirst("commit: ".count).split(separator: "+").first.map(String.init) ?? ""
        let git = TestSupport.which("git")
        let known = try TestSupport.run(git, ["-C", CLIHelpTests.repo.path, "cat-file", "-e", printed + "^{commit}"])
        if try TestSupport.run(git, ["-C", CLIHelpTests.repo.path, "rev-parse", "HEAD"]).status == 0 {
            #expect(printed.count == 12 && known.status == 0, "--version names no commit of this repository: \(line)")
        }
    }
}

import Foundation
import Testing

/// Manifests and options that used to be accepted, clamped or misreported (issues 25.2 and 25.8).
@Suite(.serialized) struct ManifestRefusalTests {
    static func write(_ text: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("m.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func manifest(output: String, paths: String, tokenizer: Bool = true, policy: String = "skip") -> String {
        """
        name: t
        output: \(output)
        on_error: \(policy)
        \(tokenizer ? "tokenizer: {model: \(TestSupport.model), sentinels: 300}" : "")
        sources:
          - {name: a, format: text, paths: [\(paths)], domain: web}
        """
    }

    @Test func anOutputInsideASourceFolderIsRefusedEveryRunAndNothingIsWritten() throws {
        let dir = try TestSupport.tempDir("outinside")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("D")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try String(contentsOfFile: try TestSupport.realTextFiles(1)[0], encoding: .utf8)
            .write(to: data.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        let inside = try Self.write(Self.manifest(output: "D/out", paths: "D"), in: dir)
        for policy in ["skip", "fail"] {
            let text = try String(contentsOfFile: inside, encoding: .utf8)
                .replacingOccurrences(of: "on_error: skip", with: "on_error: \(policy)")
            try text.write(toFile: inside, atomically: true, encoding: .utf8)
            for run in 1...3 {
                let r = try TestSupport.moeData(["ingest", inside, "--quiet"])
                #expect(r.status == 1, "run \(run) (\(policy)): \(r.status) \(r.stderr)")
                #expect(r.stderr.contains("output:") && r.stderr.contains("sources[0].paths[0]"), "\(r.stderr)")
                #expect(
                    !FileManager.default.fileExists(atPath: data.appendingPathComponent("out").path),
                    "run \(run) wrote into the source folder")
            }
        }
        // A glob beside the output reads only its own files: accepted. One that reaches into it is not.
        let beside = try Self.write(Self.manifest(output: "D/out", paths: "D/*.txt"), in: dir)
        let b = try TestSupport.moeData(["ingest", beside, "--quiet"])
        #expect(b.status == 0, "\(b.stderr)")
        let into = try Self.write(Self.manifest(output: "D/out", paths: "D/*/*"), in: dir)
        let n = try TestSupport.moeData(["ingest", into, "--quiet"])
        #expect(n.status == 1 && n.stderr.contains("output:"), "\(n.stderr)")
        // The reverse: a source inside the output folder; and the filesystem root as output.
        let inner = dir.appendingPathComponent("o/src")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        let reverse = try Self.write(Self.manifest(output: "o", paths: "o/src"), in: dir)
        let r = try TestSupport.moeData(["ingest", reverse, "--quiet"])
        #expect(r.status == 1 && r.stderr.contains("inside the output folder"), "\(r.stderr)")
        let root = try Self.write(Self.manifest(output: "/", paths: "D"), in: dir)
        // `plan` writes nothing even where `output: /` was accepted, so this check never writes to `/`.
        let rr = try TestSupport.moeData(["plan", root, "--mixture", "openmoe-8b"])
        #expect(rr.status == 1 && rr.stderr.contains("output: '/'"), "\(rr.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/catalog.sqlite"))
    }

    @Test func smallerMessagesSayWhatIsWrong() throws {
        let dir = try TestSupport.tempDir("smaller")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("D")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        // A manifest without `tokenizer:`.
        let noTokenizer = try Self.write(Self.manifest(output: "out", paths: "D", tokenizer: false), in: dir)
        let t = try TestSupport.moeData(["ingest", noTokenizer, "--quiet"])
        #expect(t.status == 1 && t.stderr.contains("tokenizer: missing"), "\(t.stderr)")
        // A symbolic link loop as a source path.
        let loop = dir.appendingPathComponent("loop")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
        let looped = try Self.write(Self.manifest(output: "out", paths: "loop", policy: "fail"), in: dir)
        let l = try TestSupport.moeData(["ingest", looped, "--quiet"])
        #expect(
            l.status == 1 && l.stderr.contains("symbolic link") && !l.stderr.contains("no such file"),
            "\(l.stderr)")
        // Mixture options: refused by name, never clamped.
        let manifest = try Self.write(Self.manifest(output: "out", paths: "D"), in: dir)
        for (args, needle) in [
            (["--max-epochs", "0"], "--max-epochs"), (["--max-epochs=-1"], "--max-epochs"),
            (["--total-tokens", "0"], "must be positive"),
            (["--total-tokens=-5"], "must be positive"),
        ] {
            let r = try TestSupport.moeData(["plan", manifest, "--mixture", "openmoe-8b"] + args)
            #expect(r.status != 0 && r.stderr.contains(needle), "plan \(args): \(r.stderr)")
        }
        for value in ["0", "-1", "1000000"] {
            let r = try TestSupport.moeData(["ingest", manifest, "--jobs=\(value)", "--quiet"])
            #expect(r.status != 0 && r.stderr.contains("--jobs"), "--jobs \(value): \(r.stderr)")
        }
    }
}

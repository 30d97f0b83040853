import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

/// Helpers for tests that use real files, real tools (spm_train, zstd, gzip) and the real
/// `moe-data` binary in a child process.
enum TestSupport {
    /// A folder under the test process's temp root (see `TempFolder`).
    static func tempDir(_ label: String = "t") throws -> URL { try TempFolder.make(label) }

    /// The `moe-data` executable (`MOE_DATA_BINARY` when set).
    static var binary: URL { ChildProcess.binary }

    typealias Output = ChildProcess.Output

    /// Runs a program to completion, its output captured through files (see `ChildProcess`).
    @discardableResult
    static func run(
        _ executable: String, _ args: [String], stdin: Data? = nil, cwd: URL? = nil,
        environment: [String: String] = [:]
    ) throws -> Output {
        try ChildProcess.run(executable, args, environment: environment, stdin: stdin, cwd: cwd)
    }

    static func moeData(_ args: [String], environment: [String: String] = [:]) throws -> Output {
        try ChildProcess.moeData(args, environment: environment)
    }

    static func which(_ tool: String) -> String { ChildProcess.which(tool) }

    /// Real English prose and real code from the machine (Python's docs and stdlib sources).
    static let docsRoot = "/usr/share/doc/python3.11/html/_sources"
    static let codeRoot = "/usr/lib/python3.11"

    static func realTextFiles(_ n: Int) throws -> [String] {
        let dir = docsRoot + "/library"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".rst.txt") }
            .sorted()
        return Array(names.prefix(n)).map { dir + "/" + $0 }
    }

    /// Real lines of prose, each a candidate one-line document.
    static func realLines(_ n: Int) throws -> [String] {
        var lines: [String] = []
        for f in try realTextFiles(40) {
            for l in try String(contentsOfFile: f, encoding: .utf8).split(separator: "\n") {
                let t = l.trimmingCharacters(in: .whitespaces)
                if t.count > 20 { lines.append(t) }
                if lines.count == n { return lines }
            }
        }
        return lines
    }

    /// A small SentencePiece model trained by the real `spm_train` on real text, made once per
    /// test process (vocabulary 1000, byte fallback, umT5 ids: pad 0, eos 1, unk 2, no bos).
    static let model: String = {
        do {
            let dir = try tempDir("model")
            let input = dir.appendingPathComponent("train.txt")
            var text = ""
            for f in try realTextFiles(25) { text += try String(contentsOfFile: f, encoding: .utf8) }
            text += try String(contentsOfFile: codeRoot + "/json/decoder.py", encoding: .utf8)
            try text.write(to: input, atomically: true, encoding: .utf8)
            let prefix = dir.appendingPathComponent("m").path
            let r = try run(
                which("spm_train"),
                [
                    "--input=\(input.path)", "--model_prefix=\(prefix)", "--vocab_size=1000",
                    "--byte_fallback=true", "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1",
                    "--character_coverage=0.9995", "--num_threads=2", "--minloglevel=2",
                ])
            if r.status != 0 { return "spm_train failed: \(r.stderr)" }
            return prefix + ".model"
        } catch {
            return "model setup failed: \(error)"
        }
    }()

    /// Writes a manifest into `dir` with the given sources (YAML text) and returns its path.
    static func manifest(
        in dir: URL, onError: String = "skip", shardSize: String = "64KiB", extra: String = "", sources: String
    ) throws -> String {
        let path = dir.appendingPathComponent("manifest.yaml").path
        let text = """
            name: test
            output: out
            on_error: \(onError)
            shard_size: \(shardSize)
            \(extra)
            tokenizer:
              model: \(model)
              sentinels: 300
            sources:
            \(sources)
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A manifest in `dir/name/` (made here) whose one JSONL source `a` reads `dir/<pattern>`.
    static func jsonlManifest(_ dir: URL, _ name: String, pattern: String, shardSize: String) throws -> String {
        let sub = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        return try manifest(
            in: sub, shardSize: shardSize,
            sources: """
                  - {name: a, format: jsonl, paths: ["\(dir.path)/\(pattern)"], domain: web}
                """)
    }

    /// A JSON string literal.
    static func jsonString(_ s: String) -> String { JSONValue.string(s).encoded() }

    /// All files under a folder with their bytes, for byte-identity comparisons.
    static func tree(_ root: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = e?.nextObject() as? URL {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
                out[String(url.path.dropFirst(root.path.count))] = try Data(contentsOf: url)
            }
        }
        return out
    }

    /// Reads every sample of an MDS folder (hashes verified).
    static func samples(_ dir: URL) throws -> [[String: MDSValue]] {
        let ds = try MDSDataset(directory: dir)
        var all: [[String: MDSValue]] = []
        for s in 0..<ds.shardCount {
            let shard = try ds.shard(s)
            for i in 0..<shard.count { all.append(try shard.sampleByName(i)) }
        }
        return all
    }
}

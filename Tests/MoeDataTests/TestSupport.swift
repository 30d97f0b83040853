import Foundation
import MDS
import Testing

/// Helpers for tests that use real files, real tools (spm_train, zstd, gzip) and the real
/// `moe-data` binary in a child process.
enum TestSupport {
    static func tempDir(_ label: String = "t") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("moe-data-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The `moe-data` executable: `MOE_DATA_BINARY` when set (the README's test command points
    /// it at a release build, so child-process tests run at real speed), else the one built
    /// next to the test bundle.
    static var binary: URL {
        if let env = ProcessInfo.processInfo.environment["MOE_DATA_BINARY"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("moe-data")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/moe-data")
        return fallback
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion, capturing its output.
    @discardableResult
    static func run(_ executable: String, _ args: [String], stdin: Data? = nil, cwd: URL? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        // Read both pipes concurrently so a full pipe never blocks the child.
        let errData = ReadBox()
        let t = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        t.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errData.done { usleep(1000) }
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }

    final class ReadBox: @unchecked Sendable {
        private let lock = NSLock()
        private var _data = Data()
        private var _done = false
        var data: Data {
            get { lock.lock(); defer { lock.unlock() }; return _data }
            set { lock.lock(); _data = newValue; _done = true; lock.unlock() }
        }
        var done: Bool { lock.lock(); defer { lock.unlock() }; return _done }
    }

    static func moeData(_ args: [String]) throws -> Output { try run(binary.path, args) }

    static func which(_ tool: String) -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return "/usr/bin/\(tool)"
    }

    /// Real English prose and real code from the machine (Python's docs and stdlib sources).
    static let docsRoot = "/usr/share/doc/python3.11/html/_sources"
    static let codeRoot = "/usr/lib/python3.11"

    static func realTextFiles(_ n: Int) throws -> [String] {
        let dir = docsRoot + "/library"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".rst.txt") }.sorted()
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
            let r = try run(which("spm_train"), ["--input=\(input.path)", "--model_prefix=\(prefix)", "--vocab_size=1000",
                                                "--byte_fallback=true", "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1",
                                                "--character_coverage=0.9995", "--num_threads=2", "--minloglevel=2"])
            if r.status != 0 { return "spm_train failed: \(r.stderr)" }
            return prefix + ".model"
        } catch {
            return "model setup failed: \(error)"
        }
    }()

    /// Writes a manifest into `dir` with the given sources (YAML text) and returns its path.
    static func manifest(in dir: URL, onError: String = "skip", shardSize: String = "64KiB", extra: String = "", sources: String) throws -> String {
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

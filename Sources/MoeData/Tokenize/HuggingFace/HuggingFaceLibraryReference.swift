import Foundation
import JSON

/// Python's `tokenizers`, the reference `tokenizer verify` checks a tokenizer.json's native ids
/// against: each batch of documents is encoded by `Tokenizer.encode_batch(add_special_tokens=False)`
/// in a Python process (`MOE_DATA_PYTHON`, else python3 on PATH).
struct HuggingFaceLibraryReference {
    let modelPath: String
    let python: String

    static let script = """
        import json, sys
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[1])
        texts = json.load(open(sys.argv[2], encoding="utf-8"))
        with open(sys.argv[3], "w") as out:
            json.dump([e.ids for e in tok.encode_batch(texts, add_special_tokens=False)], out)
        """

    init(modelPath: String) throws {
        self.modelPath = modelPath
        let configured = ProcessInfo.processInfo.environment["MOE_DATA_PYTHON"] ?? ""
        python = configured.isEmpty ? "python3" : configured
        let check = try Self.run(python, ["-c", "import tokenizers"])
        guard check.status == 0 else {
            throw MoeDataError(
                "tokenizer verify compares the native ids of a tokenizer.json with Hugging Face's tokenizers "
                    + "library, which \(python) cannot import (\(check.errors)); install it: "
                    + "\(python) -m pip install tokenizers")
        }
    }

    /// The library's ids of each text.
    func encode(_ texts: [[UInt8]]) throws -> [[UInt32]] {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("moe-data-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("texts.json")
        let output = folder.appendingPathComponent("ids.json")
        let json = JSONValue.array(texts.map { .string(String(decoding: $0, as: UTF8.self)) }).encoded()
        try Data(json.utf8).write(to: input)
        let r = try Self.run(python, ["-c", Self.script, modelPath, input.path, output.path])
        guard r.status == 0 else { throw MoeDataError("tokenizers could not encode with \(modelPath): \(r.errors)") }
        let parsed = try JSONValue.parse(try Data(contentsOf: output))
        guard let lists = parsed.arrayValue, lists.count == texts.count else {
            throw MoeDataError("tokenizers returned no ids for some of the \(texts.count) texts")
        }
        return lists.map { ($0.arrayValue ?? []).compactMap { $0.intValue.flatMap(UInt32.init(exactly:)) } }
    }

    /// Runs `executable` (looked up on PATH) to completion; its error output is kept in a file, so no pipe fills up.
    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let errors = FileManager.default.temporaryDirectory
            .appendingPathComponent("moe-data-python-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errors.path, contents: nil) else {
            throw MoeDataError("cannot create \(errors.path) for the error output of \(executable)")
        }
        defer { try? FileManager.default.removeItem(at: errors) }
        let handle = try FileHandle(forWritingTo: errors)
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw MoeDataError("\(executable) could not be started: \(error)") }
        process.waitUntilExit()
        try? handle.close()
        let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

import Foundation
import MoeData
import MoeTestSupport
import Testing

/// Real corpora and one small trained model shared by the tokenizer tests (training once per
/// test process keeps the suite fast).
enum TokenizerFixtures {
    /// The Python used for interop checks: `MOE_DATA_PYTHON` when set, else `python3`.
    static var python: String { ProcessInfo.processInfo.environment["MOE_DATA_PYTHON"] ?? "python3" }

    /// Removed with the test process's temp root (see `TempFolder`).
    static let directory: URL = {
        let url = TempFolder.root.appendingPathComponent("tokenizer")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// English prose: the Python documentation sources, in sorted order.
    static func prose(maxBytes: Int) throws -> String {
        try concatenate(files(under: "/usr/share/doc/python3.11/html/_sources", suffix: ".rst.txt"), maxBytes: maxBytes)
    }

    /// Code: the Python standard library, in sorted order.
    static func code(maxBytes: Int) throws -> String {
        try concatenate(files(under: "/usr/lib/python3.11", suffix: ".py"), maxBytes: maxBytes)
    }

    /// Typed here: scripts the corpora above hardly contain, emoji, and characters a small model
    /// cannot have (so byte fallback must carry them).
    static let multilingual: [String] = [
        "Grüße aus Köln — naïve façade, déjà vu.",
        "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        "日本語のテキストと漢字、カタカナ。",
        "中文文本：机器学习模型需要大量数据。",
        "한국어 문장도 포함합니다.",
        "العربية تكتب من اليمين إلى اليسار.",
        "हिन्दी में एक वाक्य।",
        "Emoji: 🚀🔥👩‍👩‍👧‍👦 🇫🇷 ✨ and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝛼𝛽.",
        "    def f(x):\t# indented code, tabs\tand  double  spaces  ",
        "x = {\"key\": [1, 2, 3.14159], 'n': 0x1F}  # 1234567890",
        "\u{0}\u{7F} control bytes and a lone combining mark \u{301}",
        "ẞ ǅ ﬁ ① ＡＢＣ full-width and compatibility characters",
    ]

    static func files(under root: String, suffix: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [String] = []
        for case let path as String in walker where path.hasSuffix(suffix) { found.append(root + "/" + path) }
        return found.sorted()
    }

    static func concatenate(_ paths: [String], maxBytes: Int) throws -> String {
        var text = ""
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            text += String(decoding: data, as: UTF8.self)
            if text.utf8.count >= maxBytes { break }
        }
        #expect(text.utf8.count > 0, "no sample text found")
        return text
    }

    /// Non-empty lines of real prose and code plus the multilingual strings.
    static func realLines(count: Int) throws -> [String] {
        let prose = try prose(maxBytes: 400_000).split(separator: "\n").map(String.init)
        let code = try code(maxBytes: 400_000).split(separator: "\n").map(String.init)
        var lines: [String] = []
        var i = 0
        while lines.count < count && (i < prose.count || i < code.count) {
            if i < prose.count { lines.append(prose[i * 7 % prose.count]) }
            if i < code.count { lines.append(code[i * 5 % code.count]) }
            i += 1
        }
        return multilingual + lines
    }

    static func write(_ text: String, _ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func smallOptions(vocab: Int = 1500) -> TokenizerTrainingOptions {
        var options = TokenizerTrainingOptions()
        options.vocabSize = vocab
        options.sampleBytes = 600_000
        return options
    }

    /// Trains the shared model once: 1,500 pieces on 300 KB of prose and 300 KB of code.
    static let sharedModel: Result<String, any Error> = Result {
        let prosePath = try write(prose(maxBytes: 1_500_000), "prose.txt")
        let codePath = try write(code(maxBytes: 1_500_000), "code.txt")
        let options = smallOptions()
        let sampler = TrainingSampler(totalBytes: options.sampleBytes, seed: options.seed)
        let (sentences, _) = try sampler.sample([
            (TextFileSource(path: prosePath, format: .text), 1), (TextFileSource(path: codePath, format: .text), 1),
        ])
        let model = directory.appendingPathComponent("shared.model").path
        try lockedTrain(sentences: sentences, options: options, modelPath: model)
        return model
    }

    static func model() throws -> String { try sharedModel.get() }

    /// Runs a child process (see `ChildProcess`: output through files, a timeout).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws
        -> (out: String, err: String, status: Int32)
    {
        let r = try ChildProcess.run(executable, arguments, stdin: stdin.map { Data($0.utf8) })
        return (r.stdout, r.stderr, r.status)
    }

    /// The `moe-data` executable: `MOE_DATA_BINARY` when set (see `ChildProcess.binary`).
    static func moeDataBinary() throws -> String {
        let path = ChildProcess.binary.path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MoeDataError("moe-data executable not found at \(path); run `swift build` or set MOE_DATA_BINARY")
        }
        return path
    }
}

/// In-process training sets libsentencepiece's global seed and log level, so trainings in tests that
/// run in parallel take the one global-state lock.
func lockedTrain(sentences: some Sequence<String>, options: TokenizerTrainingOptions, modelPath: String) throws {
    try GlobalState.withLock {
        try TokenizerTrainer.train(sentences: sentences, options: options, modelPath: modelPath)
    }
}

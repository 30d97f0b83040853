import Foundation

/// Runs child processes for every test target: the real `moe-data` binary, spm_encode, python3.
///
/// The child's stdout and stderr go to files, not pipes, so a chatty child can never block on a
/// full 64 KiB pipe while the test waits for it; a timeout kills a hung child (SIGKILL) so one bad
/// run fails its test instead of stalling the whole suite.
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        /// True when the child ended by a signal (SIGKILL from a fault point, or the timeout).
        public var signaled: Bool
        public var timedOut: Bool
        public var stdout: String
        public var stderr: String
        public var stdoutData: Data
    }

    /// The `moe-data` executable: `MOE_DATA_BINARY` when set (scripts/test points it at the release
    /// build), else the one built next to the test bundle, else `.build/debug/moe-data`.
    public static var binary: URL {
        if let env = ProcessInfo.processInfo.environment["MOE_DATA_BINARY"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("moe-data")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(
            ".build/debug/moe-data")
    }

    /// Runs `moe-data` with `args`; `environment` is added to the test process's own.
    @discardableResult
    public static func moeData(
        _ args: [String], environment: [String: String] = [:],
        timeout: TimeInterval = 600
    ) throws -> Output {
        try run(binary.path, args, environment: environment, timeout: timeout)
    }

    /// Runs a program to completion (or until `timeout` seconds, then kills it).
    @discardableResult
    public static func run(
        _ executable: String, _ args: [String], environment: [String: String] = [:],
        stdin: Data? = nil, cwd: URL? = nil, timeout: TimeInterval = 600
    ) throws -> Output {
        let scratch = try TempFolder.make("child")
        defer { TempFolder.remove(scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        let inURL = scratch.appendingPathComponent("stdin")
        try (stdin ?? Data()).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let inp = try FileHandle(forReadingFrom: inURL)
        defer { try? out.close(); try? err.close(); try? inp.close() }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(p.processIdentifier, SIGKILL)
            done.wait()
        }
        p.waitUntilExit()
        let o = try Data(contentsOf: outURL), e = try Data(contentsOf: errURL)
        var errText = String(decoding: e, as: UTF8.self)
        if timedOut {
            errText += "\n[test] killed after \(Int(timeout)) s: \(executable) \(args.joined(separator: " "))"
        }
        return Output(
            status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal, timedOut: timedOut,
            stdout: String(decoding: o, as: UTF8.self), stderr: errText, stdoutData: o)
    }

    /// The full path of a tool (spm_encode, zstd, gzip, python3): the first on PATH, as scripts/test
    /// finds it (python3 may be a pyenv shim there), else in the usual system folders.
    public static func which(_ tool: String) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/bin"]
        for dir in dirs where !dir.isEmpty && FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return "/usr/bin/\(tool)"
    }
}

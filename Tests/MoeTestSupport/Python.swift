import Foundation

/// The Python that interop tests run the other ecosystems' own readers with: `MOE_DATA_PYTHON`
/// when set, else python3. scripts/test installs the packages (scripts/lib/setup.sh, PYTHON_PACKAGES);
/// a test whose package is missing fails and says which pip command installs it, rather than skipping.
public enum Python {
    public static var executable: String {
        let env = ProcessInfo.processInfo.environment["MOE_DATA_PYTHON"] ?? ""
        return env.isEmpty ? ChildProcess.which("python3") : env
    }

    /// A module the script imports and the pip requirement that provides it.
    public struct Requirement: Sendable {
        public var module: String
        public var pip: String
        public init(_ module: String, pip: String) {
            self.module = module
            self.pip = pip
        }
    }

    /// nil when every module can be found (without importing it); else a sentence with the pip command.
    public static func missing(_ requirements: [Requirement]) throws -> String? {
        let script = """
            import importlib.util, sys
            print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))
            """
        let r = try ChildProcess.run(executable, ["-c", script] + requirements.map(\.module), timeout: 60)
        guard r.status == 0 else { return "\(executable) does not run: \(r.stderr)" }
        let absent = Set(r.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let needed = requirements.filter { absent.contains($0.module) }
        guard !needed.isEmpty else { return nil }
        let commands = needed.map { "\(executable) -m pip install \($0.pip)" }
        return "Python modules missing: \(needed.map(\.module).joined(separator: ", ")); run scripts/test "
            + "(it installs them) or: " + commands.joined(separator: " && ")
    }

    /// Runs a script given as text with arguments.
    public static func run(
        _ script: String, _ args: [String],
        timeout: TimeInterval = 300
    ) throws -> ChildProcess.Output {
        try ChildProcess.run(executable, ["-c", script] + args, timeout: timeout)
    }
}

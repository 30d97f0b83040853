import Foundation

/// Every call moe-data makes to Slurm's commands goes through here: `sbatch` submits, `scontrol`
/// releases held jobs and tells where the job completion log is, `scancel` cancels, `squeue`
/// (then `sacct`, then the completion log) tells job states. Each is a child process with its
/// arguments as a list, never a shell line, so no value is ever re-read by a shell.
///
/// Finished jobs: `squeue -t all` shows them for `MinJobAge` seconds (300 by default) after they
/// end. After that, `sacct` knows them on clusters with accounting (slurmdbd); without it, a
/// `jobcomp/filetxt` completion log (`scontrol show config`: JobCompLoc) still does.
public struct SlurmClient: Sendable {
    /// Full paths of the commands found on PATH.
    let tools: [String: String]

    /// The client, when `sbatch` and `squeue` are on PATH; nil otherwise.
    public init?(path: String? = ProcessInfo.processInfo.environment["PATH"]) {
        var found: [String: String] = [:]
        let folders = (path ?? "").split(separator: ":").map(String.init)
        for tool in ["sbatch", "squeue", "scontrol", "scancel", "sacct"] {
            if let folder = folders.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }) {
                found[tool] = "\(folder)/\(tool)"
            }
        }
        guard found["sbatch"] != nil, found["squeue"] != nil else { return nil }
        tools = found
    }

    /// Submits a batch script with `sbatch --parsable`, held (`--hold`) when asked, and returns the job id.
    public func submit(script: String, hold: Bool) throws -> String {
        let result = try run("sbatch", ["--parsable"] + (hold ? ["--hold"] : []) + [script])
        // --parsable prints "<id>" or "<id>;<cluster>".
        let id =
            result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ";").first.map(String.init) ?? ""
        guard result.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw MoeDataError("sbatch \(script) failed: \(result.problem)")
        }
        return id
    }

    /// Lets held jobs start (`scontrol release`).
    public func release(_ ids: [String]) throws {
        guard !ids.isEmpty else { return }
        let result = try run("scontrol", ["release", ids.joined(separator: ",")])
        guard result.status == 0 else { throw MoeDataError("scontrol release \(ids) failed: \(result.problem)") }
    }

    /// Cancels jobs (`scancel`).
    public func cancel(_ ids: [String]) throws {
        guard !ids.isEmpty else { return }
        let result = try run("scancel", ids)
        guard result.status == 0 else { throw MoeDataError("scancel \(ids) failed: \(result.problem)") }
    }

    /// States of jobs given by id (plain ids; an array job's id stands for all its elements), keyed
    /// by `<array job>_<task>` for array elements and by the id for other jobs. A job Slurm has
    /// forgotten everywhere is missing from the result.
    public func states(of ids: [String]) throws -> [String: SlurmJobState] {
        let wanted = Array(Set(ids)).sorted()
        guard !wanted.isEmpty else { return [:] }
        var states = try queueStates(wanted)
        let known = Set(states.values.map { $0.id.split(separator: "_").first.map(String.init) ?? $0.id })
        let forgotten = wanted.filter { !known.contains($0) }
        guard !forgotten.isEmpty else { return states }
        for state in accountingStates(forgotten) + completionLogStates(forgotten) where states[state.id] == nil {
            states[state.id] = state
        }
        return states
    }

    /// `squeue -t all`, one line per array element.
    private func queueStates(_ ids: [String]) throws -> [String: SlurmJobState] {
        let result = try run(
            "squeue", ["-h", "-r", "-t", "all", "-j", ids.joined(separator: ","), "-o", "%F|%K|%T|%r"])
        // squeue fails with "Invalid job id specified" when it knows none of the ids.
        if result.status != 0 && result.errors.contains("Invalid job id") { return [:] }
        guard result.status == 0 else { throw MoeDataError("squeue failed: \(result.problem)") }
        var states: [String: SlurmJobState] = [:]
        for line in result.output.split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4 else { continue }
            let id = f[1].allSatisfy(\.isNumber) && !f[1].isEmpty ? "\(f[0])_\(f[1])" : f[0]
            states[id] = SlurmJobState.reported(id: id, state: f[2], reason: f[3], origin: "squeue")
        }
        return states
    }

    /// `sacct` for jobs squeue no longer shows; nothing on clusters without accounting.
    private func accountingStates(_ ids: [String]) -> [SlurmJobState] {
        guard tools["sacct"] != nil,
            let result = try? run("sacct", ["-n", "-P", "-X", "-j", ids.joined(separator: ","), "-o", "JobID,State"]),
            result.status == 0
        else { return [] }
        return result.output.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|").map(String.init)
            // Pending array ranges ("12_[3-5]") are not single elements.
            guard f.count == 2, !f[0].contains("[") else { return nil }
            return SlurmJobState.reported(id: f[0], state: f[1], reason: nil, origin: "sacct")
        }
    }

    /// The `jobcomp/filetxt` completion log, when the cluster keeps one (its last 16 MiB).
    private func completionLogStates(_ ids: [String]) -> [SlurmJobState] {
        guard let path = completionLogPath(), let text = SlurmCompletionLog.tail(path: path) else { return [] }
        return SlurmCompletionLog.states(text, jobs: Set(ids), origin: path)
    }

    /// JobCompLoc from `scontrol show config`, when JobCompType is jobcomp/filetxt.
    public func completionLogPath() -> String? {
        guard tools["scontrol"] != nil, let result = try? run("scontrol", ["show", "config"]), result.status == 0
        else { return nil }
        var settings: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            settings[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        guard settings["JobCompType"] == "jobcomp/filetxt", let path = settings["JobCompLoc"], path.hasPrefix("/")
        else { return nil }
        return path
    }

    struct Result {
        var status: Int32
        var output: String
        var errors: String
        /// What went wrong, for an error sentence.
        var problem: String {
            let text = errors.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "exit status \(status)" : text
        }
    }

    /// Runs one of the tools to completion; stdout and stderr are read concurrently, so neither pipe fills up.
    func run(_ tool: String, _ arguments: [String]) throws -> Result {
        guard let executable = tools[tool] else { throw MoeDataError("\(tool) is not on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw MoeDataError("\(executable) could not be started: \(error)") }
        let errorText = ErrorText()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            errorText.set(err.fileHandleForReading.readDataToEndOfFile())
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            errors: String(decoding: errorText.data, as: UTF8.self))
    }
}

/// stderr of a child, filled by the thread that reads it.
private final class ErrorText: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    func set(_ data: Data) { lock.withLock { stored = data } }
    var data: Data { lock.withLock { stored } }
}

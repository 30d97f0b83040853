import Foundation
import MoeTestSupport
import Testing

/// The one-node Slurm of `scripts/slurm-local`, as a developer starts it: started once per test
/// process, in its own state folder (so its own ports, job ids from 1), and stopped at exit after
/// cancelling whatever job is left. Tests cancel their own jobs too, as soon as they are done.
///
/// It needs root (the daemons run as root). Where Slurm cannot run, the tests that need it fail
/// with the reason, unless `MOE_DATA_SKIP_SLURM_TESTS=1` says to skip them (CI never sets it).
enum SlurmTestCluster {
    static let skipVariable = "MOE_DATA_SKIP_SLURM_TESTS"
    static let skipped = ProcessInfo.processInfo.environment[skipVariable] == "1"
    static let skipNote: Comment = "skipped: \(skipVariable)=1 (the Slurm tests need root and scripts/slurm-local)"

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = repo.appendingPathComponent("scripts/slurm-local").path
    static let stateFolder = TempFolder.root.appendingPathComponent("slurm-local")

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// SLURM_CONF of the running cluster, or why it could not start.
    static let started: Result<String, StartFailure> = {
        guard getuid() == 0 else {
            return .failure(
                StartFailure(
                    description: "the Slurm tests start a one-node Slurm with scripts/slurm-local, "
                        + "which must run as root; run the tests as root, or set \(skipVariable)=1 to skip them"))
        }
        do {
            let r = try ChildProcess.run(
                "/bin/bash", [script, "start"], environment: ["MOE_DATA_SLURM_DIR": stateFolder.path], timeout: 900)
            atexit { SlurmTestCluster.stop() }
            guard r.status == 0 else {
                return .failure(
                    StartFailure(
                        description: "scripts/slurm-local start failed (exit \(r.status)):\n"
                            + r.stdout + r.stderr + "\nset \(skipVariable)=1 to skip the Slurm tests"))
            }
            return .success(stateFolder.appendingPathComponent("slurm.conf").path)
        } catch {
            return .failure(StartFailure(description: "scripts/slurm-local start could not run: \(error)"))
        }
    }()

    /// The environment of every command that talks to this cluster (moe-data slurm/status, squeue, ...).
    static func environment() throws -> [String: String] {
        switch started {
        case .success(let conf): return ["SLURM_CONF": conf]
        case .failure(let failure): throw failure
        }
    }

    /// At exit: cancel every job left on this private cluster, then stop its daemons.
    static func stop() {
        let env = ["SLURM_CONF": stateFolder.appendingPathComponent("slurm.conf").path]
        _ = try? ChildProcess.run(ChildProcess.which("scancel"), ["--user=root"], environment: env, timeout: 60)
        _ = try? ChildProcess.run(
            "/bin/bash", [script, "stop"], environment: ["MOE_DATA_SLURM_DIR": stateFolder.path], timeout: 120)
    }

    /// Runs a Slurm client command on this cluster.
    @discardableResult
    static func client(_ tool: String, _ arguments: [String]) throws -> ChildProcess.Output {
        try ChildProcess.run(ChildProcess.which(tool), arguments, environment: try environment(), timeout: 60)
    }

    /// States of jobs (array jobs expanded), keyed `<array>_<task>` or by the job id.
    static func states(_ ids: [String]) throws -> [String: String] {
        let r = try client("squeue", ["-h", "-r", "-t", "all", "-j", ids.joined(separator: ","), "-o", "%i|%T"])
        var out: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: "|").map(String.init)
            if parts.count == 2 { out[parts[0]] = parts[1] }
        }
        return out
    }

    static let endedStates: Set<String> = [
        "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
        "DEADLINE",
    ]

    /// Waits until every job of `ids` (array elements included) has ended; returns their states.
    static func waitUntilEnded(_ ids: [String], timeout: TimeInterval = 300) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let states = try states(ids)
            if !states.isEmpty && states.values.allSatisfy(endedStates.contains) { return states }
            if Date() > deadline {
                throw StartFailure(description: "jobs \(ids) have not ended after \(Int(timeout)) s: \(states)")
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// Cancels jobs (at the end of a test, whatever happened).
    static func cancel(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        _ = try? client("scancel", ids)
    }

    /// The job ids a `moe-data slurm` run printed: `submitted <what> job <id>`.
    static func submittedJobs(_ stdout: String) -> [String: String] {
        var jobs: [String: String] = [:]
        for line in stdout.split(separator: "\n") {
            for (key, prefix) in [
                ("tokenizer", "submitted tokenizer job "), ("ingest", "submitted ingest array job "),
                ("merge", "submitted merge job "),
            ] where line.hasPrefix(prefix) {
                jobs[key] = String(line.dropFirst(prefix.count).prefix { $0.isNumber })
            }
        }
        return jobs
    }
}

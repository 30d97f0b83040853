import Foundation
import MDS
import Testing

/// One writer per output folder, shown with real processes: the first build is held at a fault
/// point (SIGSTOP) while a second writer and the read-only commands run against the folder.
@Suite(.serialized) struct OutputLockTests {
    /// Waits until the process is stopped (state T in /proc) or has ended.
    static func waitUntilStopped(_ p: Process) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && p.isRunning {
            let stat = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/stat", encoding: .utf8)) ?? ""
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "T" { return true }
            usleep(20_000)
        }
        return false
    }

    @Test func aSecondWriterIsRefusedAndReadersSeeACompleteFolder() throws {
        let dir = try TestSupport.tempDir("lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try FaultPointTests.mixture(in: dir)
        let manifest = try FaultPointTests.manifest(in: dir)
        let out = dir.appendingPathComponent("out")
        #expect(
            try TestSupport.moeData(["build", manifest, "--mixture", mixture, "--seed", "9", "--quiet"]).status == 0)
        let before = try TestSupport.tree(out.appendingPathComponent("packed"))

        let p = Process()
        p.executableURL = TestSupport.binary
        // --restart ingests again, so the run stops inside ingest, before any new rows exist.
        p.arguments = ["build", manifest, "--mixture", mixture, "--quiet", "--restart"]
        var env = ProcessInfo.processInfo.environment
        env["MOE_DATA_FAULT"] = "ingest.shard.committed:2:stop"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        #expect(OutputLockTests.waitUntilStopped(p), "the first build must stop at its fault point")

        for command in [["build", manifest, "--mixture", mixture, "--quiet"], ["ingest", manifest, "--quiet"]] {
            let second = try TestSupport.moeData(command)
            #expect(second.status == 1, "a second \(command[0]) must be refused: \(second.stdout)")
            #expect(
                second.stderr.contains("pid \(p.processIdentifier), started ") && second.stderr.contains("command: "),
                "the error names the holder: \(second.stderr)")
            #expect(second.stderr.contains(out.path), "\(second.stderr)")
        }
        // Readers work meanwhile and see the previous, complete rows.
        #expect(try TestSupport.moeData(["stats", out.path]).status == 0)
        let inspect = try TestSupport.moeData(["inspect", out.path, "--row", "0"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(try TestSupport.tree(out.appendingPathComponent("packed")) == before)

        // The kernel drops the lock with its holder: a killed run never blocks the next one.
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let rerun = try TestSupport.moeData(["build", manifest, "--mixture", mixture, "--quiet"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
    }
}

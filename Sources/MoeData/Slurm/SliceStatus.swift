import Foundation

/// Where one build slice of `moe-data slurm --build-slices K` stands, from its catalog
/// (`slices/slice-NNNNN.sqlite`, opened read-only: a running slice writes it) and Slurm.
public struct SliceStatus: Sendable {
    public var slice: Int
    public var state: TaskStatus.State
    /// The Slurm job of its latest submission (`<slice array job>_<slice>`) and what Slurm says of it.
    public var job: String?
    public var slurmState: SlurmJobState?
    /// Why it failed (Slurm's word), or why its catalog cannot be read now.
    public var error: String?
    public var log: String?

    /// The slices of the latest submission that asked for them; empty when none did.
    static func load(
        output: String, submissions: [SlurmRecord.Submission], states: [String: SlurmJobState]
    ) -> [SliceStatus] {
        guard let submission = submissions.last(where: { $0.sliceCount != nil }), let count = submission.sliceCount
        else { return [] }
        let files = BuildSliceFiles(outputDirectory: output)
        // After the build job, the slices are in packed/ and slices/ is gone.
        let merged =
            !FileManager.default.fileExists(atPath: files.directory.path)
            && (submission.buildJob.flatMap { states[$0] }?.succeeded == true || mainBuildDone(output: output))
        return (0..<count).map { slice in
            let job = submission.jobID(ofSlice: slice)
            var status = SliceStatus(slice: slice, state: .notStarted, job: job, slurmState: job.flatMap { states[$0] })
            if let arrayJob = submission.sliceArrayJob {
                status.log = SlurmScripts.logPath(
                    output: output, jobName: submission.jobName, stage: "slice", arrayJob: arrayJob, task: slice)
            }
            status.settle(catalog: files.catalogPath(slice), count: count, merged: merged)
            return status
        }
    }

    /// The state from the slice's catalog (done: `build.status` done for this slice count) and Slurm.
    private mutating func settle(catalog path: String, count: Int, merged: Bool) {
        var built = merged, started = false
        if FileManager.default.fileExists(atPath: path) {
            started = true
            do {
                let db = try SQLiteDatabase(path: path, readOnly: true)
                let rows = try db.query("SELECT key, value FROM kv WHERE key IN ('build.status', 'slice.count')")
                var kv: [String: String] = [:]
                for row in rows { if let key = row[0]?.text { kv[key] = row[1]?.text } }
                built = kv["build.status"] == "done" && kv["slice.count"] == String(count)
            } catch { self.error = "its catalog cannot be read now: \(error)" }
        }
        if built {
            state = .done
        } else if let slurm = slurmState, slurm.isPending {
            state = .pending
        } else if let slurm = slurmState, slurm.isRunning {
            state = .running
        } else if let slurm = slurmState {
            state = .failed
            error = "Slurm: \(slurm.text)" + (slurm.waitsForever ? " (a job it depends on failed)" : "")
        } else {
            // No Slurm to ask: a catalog not done belongs to a slice running now, or killed.
            state = started ? .running : .notStarted
        }
    }

    /// `build.status` done in the output's catalog.
    static func mainBuildDone(output: String) -> Bool {
        let path = (output as NSString).appendingPathComponent(Catalog.fileName)
        guard let db = try? SQLiteDatabase(path: path, readOnly: true),
            let rows = try? db.query("SELECT value FROM kv WHERE key = 'build.status'")
        else { return false }
        return rows.first?[0]?.text == "done"
    }
}

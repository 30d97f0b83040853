import Foundation

/// How `ingest` and `build` run on an output folder: they hold the folder's lock for the whole
/// run, and the catalog's `runs` table records the command, its arguments, and how it ended.
public enum RecordedRun {
    /// Runs `work` on the output folder's catalog under its lock, recorded as a run of `command`:
    /// `done` when it returns, `failed: <error>` when it throws (the error is thrown on).
    public static func perform<Result>(
        _ command: String, outputDirectory: String,
        arguments: [String] = CommandLine.arguments,
        _ work: (Catalog) throws -> Result
    ) throws -> Result {
        let lock = try OutputLock(outputDirectory: outputDirectory, arguments: arguments)
        defer { withExtendedLifetime(lock) {} }
        let catalog = try Catalog(outputDirectory: outputDirectory)
        let runID = try catalog.beginRun(command: command, arguments: arguments)
        do {
            let result = try work(catalog)
            try catalog.endRun(runID, status: "done")
            return result
        } catch {
            try? catalog.endRun(runID, status: "failed: \(error)")
            throw error
        }
    }
}

import Foundation

/// Temporary folders for tests, all under one folder per test process.
///
/// Tests remove their own folders with `defer`; what a failing or interrupted test leaves behind
/// goes with the process folder at exit, and folders of test processes that no longer run (killed
/// by CI's timeout, say) are removed by the next run.
public enum TempFolder {
    private static let prefix = "moe-data-tests-"

    /// Created on first use; registers its removal at process exit.
    public static let root: URL = {
        let base = FileManager.default.temporaryDirectory
        sweepStale(in: base)
        let url = base.appendingPathComponent("\(prefix)\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TempFolder.root) }
        return url
    }()

    /// A new empty folder named after `label`.
    public static func make(_ label: String) throws -> URL {
        let url = root.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    /// Removes the folders of earlier test processes that are gone (kill(pid, 0) fails with ESRCH).
    private static func sweepStale(in base: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
            }
        }
    }
}

import Foundation

extension Dedup {
    /// What `build` does between ingest and mix: runs the stage when the manifest has `dedup:` and
    /// returns the tokens it removed per source; without `dedup:`, forgets what an earlier stage
    /// removed (its files and catalog rows), so the mixer skips nothing, and returns none.
    public static func beforeMix(
        _ manifest: Manifest, catalog: Catalog, jobs: Int, quiet: Bool
    ) throws -> [String: Int] {
        guard manifest.dedup != nil else {
            let root = DedupLayout(outputDirectory: manifest.output).root
            if FileManager.default.fileExists(atPath: root.path) {
                try FileManager.default.removeItem(at: root)
                try catalog.forgetDedup()
            }
            return [:]
        }
        var options = Options()
        options.jobs = jobs
        options.quiet = quiet
        let report = try Dedup(manifest: manifest, options: options).run(catalog: catalog)
        if !quiet && !report.upToDate { FileHandle.standardError.write(Data(report.text.utf8)) }
        return try catalog.removedTokens()
    }
}

import Foundation
import MDS

/// The end of a sliced build, run by `moe-data build` once every slice is built: the slices'
/// folders move into `packed.partial/` as they are (`slice-NNNNN/`), the catalog records their
/// shards in slice order, the summary and accounting of the last slice (which ran to the
/// build's end) become the build's, and `packed/` is published as after a one-process build.
///
/// The rows are those of the one-process build, in the same order; the shards differ only in
/// that each slice's last shard is closed at the slice's end (a shard never spans two slices).
extension Build {
    /// The build made from the slices in `slices/`, or nil when there are none (`--restart`
    /// removes them, and the build runs in this process).
    func mergeSlices(signature: String, catalog: Catalog, tokenizer: Tokenizer, seed: UInt64) throws -> Summary? {
        let files = BuildSliceFiles(outputDirectory: manifest.output)
        guard files.present else { return nil }
        if options.restart {
            try files.remove()
            return nil
        }
        let slices = try finishedSlices(files, signature: signature)
        var entries: [MDSShardEntry] = []
        try moveSliceRows(files, slices: slices)
        for slice in slices {
            for var e in slice.shards {
                e.rawBasename = slice.name + "/" + e.rawBasename
                e.zipBasename = e.zipBasename.map { slice.name + "/" + $0 }
                entries.append(e)
            }
        }
        guard let last = slices.last,
            let counters = try? JSONDecoder().decode([PhaseCounters].self, from: Data(last.summary.utf8)),
            counters.count == mixture.phases.count,
            let accounting = try? JSONDecoder().decode(MixAccounting.self, from: Data(last.accounting.utf8))
        else {
            throw MoeDataError(
                "\(files.catalogPath(slices.count - 1)): the last slice's summary cannot be read; build it again "
                    + "with --restart")
        }
        try catalog.startBuild(signature: signature, dataset: PackedRows.directoryName)
        try catalog.recordBuildShards(entries, dataset: PackedRows.directoryName)
        let result = summary(counters, accounting: accounting, upToDate: false)
        try finish(
            result, counters: counters, accounting: accounting, lastShard: nil, catalog: catalog,
            tokenizer: tokenizer, seed: seed)
        try files.remove()
        return result
    }

    /// A built slice, as its catalog records it.
    struct BuiltSlice {
        var name: String
        var shards: [MDSShardEntry]
        var summary: String
        var accounting: String
    }

    /// Every slice of the sliced build, each checked: built with this signature, one of the same
    /// count, its rows on disk. Otherwise a sentence naming the slice and what to run.
    func finishedSlices(_ files: BuildSliceFiles, signature: String) throws -> [BuiltSlice] {
        let indices = files.catalogIndices()
        let first = try Catalog(path: files.catalogPath(indices.first ?? 0), rollbackJournal: true)
        guard let count = Int(try first.value("slice.count") ?? ""), count >= 1 else {
            throw MoeDataError("\(files.catalogPath(indices.first ?? 0)): not a slice of a build; remove "
                + "\(files.directory.path) or run with --restart")
        }
        let again = "run `moe-data build <manifest> --mixture <mixture> --slices \(count) --slice"
        if let missing = (0..<count).first(where: { !indices.contains($0) }) {
            throw MoeDataError(
                "\(files.directory.path): slice \(missing) of \(count) has not run; \(again) \(missing)`")
        }
        return try (0..<count).map { k in
            let path = files.catalogPath(k)
            let catalog = try Catalog(path: path, rollbackJournal: true)
            guard try catalog.value("slice.count") == String(count), try catalog.value("build.signature") == signature
            else {
                throw MoeDataError(
                    "\(path): slice \(k) was built for other settings (mixture, seed, sources or slice count) "
                        + "than this build; \(again) \(k) --restart`, or remove \(files.directory.path) to "
                        + "build in one process")
            }
            guard try catalog.value("build.status") == "done" else {
                throw MoeDataError("\(path): slice \(k) of \(count) has not finished; \(again) \(k)` (it resumes)")
            }
            let shards = try catalog.shardEntries(dataset: PackedRows.directoryName)
            let name = BuildSliceFiles.name(k)
            let moved = publisher.partial.appendingPathComponent(name)
            guard PackedPublisher.holdsShards(files.rowsDirectory(k), shards, hashing: false)
                || PackedPublisher.holdsShards(moved, shards, hashing: false)
            else {
                throw MoeDataError(
                    "\(files.rowsDirectory(k).path): rows of slice \(k) are missing or damaged; \(again) \(k) "
                        + "--restart`")
            }
            return BuiltSlice(
                name: name, shards: shards, summary: try catalog.value("build.summary") ?? "",
                accounting: try catalog.value("build.accounting") ?? "")
        }
    }

    /// Moves each slice's folder into `packed.partial/` (a rerun after a kill finds some already
    /// there), after clearing what an earlier build left in it.
    func moveSliceRows(_ files: BuildSliceFiles, slices: [BuiltSlice]) throws {
        let partial = publisher.partial
        let fm = FileManager.default
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        let names = Set(slices.map(\.name))
        for leftover in (try? fm.contentsOfDirectory(atPath: partial.path)) ?? [] where !names.contains(leftover) {
            try publisher.remove(partial.appendingPathComponent(leftover))
        }
        for (k, slice) in slices.enumerated() {
            let source = files.rowsDirectory(k)
            let target = partial.appendingPathComponent(slice.name)
            guard fm.fileExists(atPath: source.path) else { continue }
            try publisher.remove(target)
            guard rename(source.path, target.path) == 0 else { throw publisher.renameError(source.path) }
        }
        publisher.syncOutput()
    }
}

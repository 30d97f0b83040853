import FileSupport
import Foundation
import JSON
import MDS
import PackedFormat

/// `moe-data verify`: checks an output folder against its catalog. Every shard in tokens/ and
/// packed/ is re-hashed (xxh64 of its bytes, as recorded), every index.json must be the one the
/// catalog's entries give, moe-data.json's row count must match; `deep` also decodes every packed
/// row in the layout moe-data.json names (expanding compact rows) and checks that its provenance
/// names a document that exists. `repair` moves what is damaged to
/// `<output>/damaged/`, so the next `ingest` or `build` regenerates it byte-identically.
public struct OutputVerifier {
    public struct Problem: Sendable, CustomStringConvertible {
        /// Path relative to the output folder.
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public let output: URL
    public init(output: String) { self.output = URL(fileURLWithPath: output) }

    /// The problems found (empty: the folder is sound) and how many shards were checked.
    public func run(deep: Bool) throws -> (problems: [Problem], shards: Int) {
        guard FileManager.default.fileExists(atPath: output.appendingPathComponent(Catalog.fileName).path) else {
            throw MoeDataError("\(output.path): no \(Catalog.fileName) here; nothing to verify")
        }
        let catalog: Catalog
        do { catalog = try Catalog(outputDirectory: output.path) } catch {
            return ([Problem(path: Catalog.fileName, reason: "\(error)")], 0)
        }
        var problems: [Problem] = []
        var checked = 0
        let datasets = try catalog.db.query("SELECT DISTINCT dataset FROM shards ORDER BY dataset")
            .compactMap { $0[0]?.text }
        let buildDone = try catalog.value("build.status") == "done"
        for dataset in datasets {
            let entries = try catalog.shardEntries(dataset: dataset)
            // A build's rows are checked where they end up (packed/), unless it is still being written.
            let folder =
                dataset == PackedRows.directoryName && !buildDone
                ? PackedRows.directoryName + ".partial" : dataset
            for e in entries {
                checked += 1
                let name = folder + "/" + (e.zipBasename ?? e.rawBasename)
                guard let data = FileManager.default.contents(atPath: output.appendingPathComponent(name).path) else {
                    problems.append(Problem(path: name, reason: "missing (the catalog records it)"))
                    continue
                }
                let want = e.zipBytes ?? e.rawBytes
                if data.count != want {
                    problems.append(Problem(path: name, reason: "\(data.count) bytes, the catalog records \(want)"))
                } else if XXH64.hex(XXH64.hash(Array(data))) != (e.zipHashes ?? e.rawHashes)["xxh64"] {
                    problems.append(Problem(path: name, reason: "xxh64 differs from the recorded hash (damaged bytes)"))
                }
            }
            guard folder == dataset else { continue }
            let index = output.appendingPathComponent(dataset).appendingPathComponent("index.json")
            if let bytes = FileManager.default.contents(atPath: index.path),
                bytes != Data(MDSIndex(shards: entries).json.encoded().utf8)
            {
                problems.append(Problem(path: dataset + "/index.json", reason: "differs from the catalog's shard list"))
            }
        }
        problems += try checkMetadata(catalog)
        if deep { problems += try checkProvenance() }
        return (problems, checked)
    }

    /// moe-data.json's rows equal the catalog's and index.json's.
    func checkMetadata(_ catalog: Catalog) throws -> [Problem] {
        guard try catalog.value("build.status") == "done" else { return [] }
        let packed = output.appendingPathComponent(PackedRows.directoryName)
        let metaPath = PackedRows.directoryName + "/" + PackedRows.metadataFile
        let recorded = try catalog.shardEntries(dataset: PackedRows.directoryName).reduce(0) { $0 + $1.samples }
        let metadataPath = packed.appendingPathComponent(PackedRows.metadataFile).path
        guard let data = FileManager.default.contents(atPath: metadataPath),
            let json = try? JSONValue.parse(data)
        else {
            return [Problem(path: metaPath, reason: "missing or not JSON")]
        }
        let meta: PackedMetadata
        do { meta = try PackedMetadata(json: json, file: metaPath) } catch {
            return [Problem(path: metaPath, reason: "\(error)")]
        }
        if meta.rows != recorded {
            return [Problem(path: metaPath, reason: "rows \(meta.rows), the catalog records \(recorded)")]
        }
        return []
    }

    /// Every packed row decodes in its layout, and every document its provenance names exists in tokens/.
    func checkProvenance() throws -> [Problem] {
        let packed = output.appendingPathComponent(PackedRows.directoryName)
        let indexPath = packed.appendingPathComponent("index.json").path
        guard FileManager.default.fileExists(atPath: indexPath) else { return [] }
        var documents = Set<String>()
        let tokens = output.appendingPathComponent("tokens")
        if FileManager.default.fileExists(atPath: tokens.appendingPathComponent("index.json").path) {
            try forEachSample(tokens) { _, s in
                documents.insert((s["source"]?.string ?? "") + "\t" + (s["doc_id"]?.string ?? ""))
            }
        }
        var problems: [Problem] = []
        // An unreadable moe-data.json is checkMetadata's problem; the rows are then not decoded.
        let layout = try? PackedMetadata.read(packed.appendingPathComponent(PackedRows.metadataFile)).layout
        try forEachSample(packed) { row, s in
            if let layout, problems.count < 20 {
                do { _ = try PackedRow(sample: s, layout: layout, origin: "row \(row)", withProvenance: false) } catch {
                    problems.append(Problem(path: PackedRows.directoryName, reason: "\(error)"))
                }
            }
            for entry in s[PackedColumn.provenance.name]?.json?.arrayValue ?? [] where problems.count < 20 {
                guard let segment = SegmentProvenance(json: entry) else {
                    problems.append(
                        Problem(
                            path: "packed (row \(row))",
                            reason: "a provenance entry is not "
                                + "{segment, source, objective, denoiser, docs}: \(entry.encoded())"))
                    continue
                }
                for id in segment.pieces.map(\.docId) where !documents.contains(segment.source + "\t" + id) {
                    guard problems.count < 20 else { break }
                    let reason = "provenance names '\(id)' of '\(segment.source)', not in tokens/"
                    problems.append(Problem(path: "packed (row \(row))", reason: reason))
                }
            }
        }
        return problems
    }

    func forEachSample(_ dir: URL, _ body: (Int, [String: MDSValue]) throws -> Void) throws {
        let ds = try MDSDataset(directory: dir)
        var row = 0
        for s in 0..<ds.shardCount {
            let shard = try ds.shard(s)
            for i in 0..<shard.count {
                try body(row, try shard.sampleByName(i))
                row += 1
            }
        }
    }

    /// Moves each damaged file (and the catalog, if it is the problem) to `<output>/damaged/`.
    /// Returns the paths moved, relative to the output folder.
    public func repair(_ problems: [Problem]) throws -> [String] {
        let fm = FileManager.default
        var moved: [String] = []
        var paths = problems.map(\.path).filter { fm.fileExists(atPath: output.appendingPathComponent($0).path) }
        if paths.contains(Catalog.fileName) { paths += [Catalog.fileName + "-wal", Catalog.fileName + "-shm"] }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        for path in paths where fm.fileExists(atPath: output.appendingPathComponent(path).path) {
            let target = output.appendingPathComponent("damaged/\(stamp)/\(path)")
            do {
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.moveItem(at: output.appendingPathComponent(path), to: target)
            } catch {
                let full = output.appendingPathComponent(path).path
                throw MoeDataError("\(full): cannot move aside (\(error.localizedDescription))")
            }
            moved.append(path)
        }
        return moved
    }
}

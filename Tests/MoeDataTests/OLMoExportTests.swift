import Foundation
import JSON
import MoeTestSupport
import Testing

/// `export olmo` read as OLMo's `MemMapDataset` reads its data: each `.npy` as a headerless
/// `numpy.memmap` cut into windows of the sequence length. The windows, then each file's last
/// partial window, concatenate to the causal phase's packed rows in row order without padding
/// (documents with EOS in place), and every `.csv.gz` line's tokens are its document's.
@Suite(.serialized) struct OLMoExportTests {
    static let requirements = [Python.Requirement("numpy", pip: "numpy")]

    /// OLMo's reading (olmo/data/memmap_dataset.py): instances per file = size // item size //
    /// chunk size; instance i = memmap(offset = i * chunk * item size, shape = (chunk,)). Prints the
    /// windows, each file's tail after its last window, and its csv.gz lines, as one JSON line.
    static let reader = """
        import csv, gzip, json, os, sys
        import numpy as np
        paths, dtype, chunk = sys.argv[1].split(","), np.dtype(sys.argv[2]), int(sys.argv[3])
        out = {"windows": [], "files": []}
        for path in paths:
            length = os.path.getsize(path) // dtype.itemsize
            windows = length // chunk
            for i in range(windows):
                window = np.memmap(path, dtype=dtype, mode="r", offset=i * chunk * dtype.itemsize, shape=(chunk,))
                out["windows"].append(window.tolist())
            whole = np.memmap(path, dtype=dtype, mode="r", shape=(length,))
            with gzip.open(path[:-len(".npy")] + ".csv.gz", "rt", newline="") as f:
                lines = [[int(r[0]), int(r[1]), r[2], r[3], int(r[4])] for r in csv.reader(f)]
            out["files"].append({"tokens": whole.tolist(), "tail": whole[windows * chunk:].tolist(), "lines": lines})
        print(json.dumps(out))
        """

    static func ints(_ value: JSONValue?) -> [UInt32] {
        value?.arrayValue?.compactMap { $0.intValue.map { UInt32($0) } } ?? []
    }

    /// Exports the fixture's causal phase with files of `maxFileBytes` and checks it as OLMo reads it.
    func check(maxFileBytes: String, expectFiles: ClosedRange<Int>) throws {
        let out = try ExportFixtures.built()
        let dir = try TestSupport.tempDir("export-olmo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let to = dir.appendingPathComponent("olmo")
        let r = try TestSupport.moeData(["export", "olmo", out.path, "--to", to.path, "--max-file-bytes", maxFileBytes])
        #expect(r.status == 0, "\(r.stderr)")
        let config = try String(contentsOf: to.appendingPathComponent("lm.olmo.yaml"), encoding: .utf8)
        let paths = config.split(separator: "\n").filter { $0.hasPrefix("    - ") }.map { String($0.dropFirst(6)) }
        #expect(expectFiles.contains(paths.count), "\(paths)")
        #expect(config.contains("memmap_dtype: uint16") && config.contains("max_sequence_length: 2048"))
        let read = try ExportFixtures.python(Self.reader, [paths.joined(separator: ","), "uint16", "2048"])
        let files = read["files"]?.arrayValue ?? []
        // The stream: the causal phase's rows in order, padding removed.
        let stream = try ExportFixtures.rows(out, phase: 1).flatMap { $0.tokens.dropLast($0.padding) }
        #expect(stream.count > 4096)
        let windows = read["windows"]?.arrayValue?.map(Self.ints) ?? []
        #expect(windows.allSatisfy { $0.count == 2048 })
        var windowsAndTails: [UInt32] = []
        var fileStart = 0
        for (k, file) in files.enumerated() {
            let tokens = Self.ints(file["tokens"])
            let count = tokens.count / 2048
            windowsAndTails +=
                windows[(fileStart / 2048)..<(fileStart / 2048 + count)].flatMap { $0 } + Self.ints(file["tail"])
            #expect(k == files.count - 1 || tokens.count % 2048 == 0, "file \(k) is not whole windows")
            fileStart += count * 2048
        }
        #expect(windowsAndTails == stream, "the windows and tails are not the phase's rows without padding")
        let documents = try ExportFixtures.sources.reduce(into: [String: [UInt32]]()) { all, source in
            for doc in try ExportFixtures.documents(out, source: source) { all["\(source)\t\(doc.id)"] = doc.tokens }
        }
        for (k, file) in files.enumerated() {
            try Self.checkLines(file, documents: documents, name: "file \(k)")
        }
    }

    /// Lines tile the file, and each line's tokens are its document's from `loc` (EOS after the last).
    static func checkLines(_ file: JSONValue, documents: [String: [UInt32]], name: String) throws {
        let tokens = ints(file["tokens"])
        var expectedStart = 0
        for line in file["lines"]?.arrayValue ?? [] {
            let fields = try #require(line.arrayValue)
            let start = Int(fields[0].intValue ?? -1), end = Int(fields[1].intValue ?? -1)
            let id = fields[2].stringValue ?? "", source = fields[3].stringValue ?? ""
            let loc = Int(fields[4].intValue ?? -1)
            #expect(start == expectedStart && end > start, "\(name): line \(fields)")
            expectedStart = end
            let doc = try #require(documents["\(source)\t\(id)"], "\(name): no document \(source)/\(id)")
            let n = end - start
            let expected =
                loc + n == doc.count + 1 ? Array(doc[loc...]) + [ExportFixtures.eos] : Array(doc[loc..<(loc + n)])
            #expect(Array(tokens[start..<end]) == expected, "\(name): line \(fields) is not its document's tokens")
        }
        #expect(expectedStart == tokens.count, "\(name): the lines do not cover the file")
    }

    @Test func oneFileReadAsOLMoDoes() throws {
        if try ExportFixtures.missing(Self.requirements) { return }
        try check(maxFileBytes: "1GiB", expectFiles: 1...1)
    }

    /// Files of two windows: runs cut across files, each file but the last whole windows.
    @Test func smallFilesReadAsOLMoDoes() throws {
        if try ExportFixtures.missing(Self.requirements) { return }
        try check(maxFileBytes: "8KiB", expectFiles: 2...100)
    }

    @Test func ul2PhaseIsRefused() throws {
        let out = try ExportFixtures.built()
        let dir = try TestSupport.tempDir("export-olmo-ul2")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TestSupport.moeData([
            "export", "olmo", out.path, "--to", dir.appendingPathComponent("o").path,
            "--phase", "ul2",
        ])
        #expect(r.status == 1)
        #expect(r.stderr.contains("phase 'ul2' is UL2: OLMo's data has no loss-mask input"), "\(r.stderr)")
        #expect(r.stderr.contains("export a causal one: lm"), "\(r.stderr)")
    }
}

import Foundation
import JSON
import MDS
import Testing

/// Stops `ingest` and `build` at every named fault point the binary lists (`moe-data fault-points`),
/// as a SIGKILL and, at the end of a build, as a full disk; then resumes and checks that the output
/// is byte-identical to an uninterrupted run, that index.json, moe-data.json and `stats` agree on
/// the row count, and that nothing is left behind.
@Suite(.serialized) struct FaultPointTests {
    /// Shard points are also hit later on, when earlier shards are committed.
    static let shardPoints: Set = [
        "ingest.shard.temporary", "ingest.shard.written", "ingest.shard.recording", "ingest.shard.committed",
        "build.shard.temporary", "build.shard.written", "build.shard.committed",
    ]
    static let endOfBuild = [
        "build.last-shard.written", "build.final.committed", "build.index.written",
        "build.metadata.written", "build.packed.swapped", "build.old.removed",
    ]

    static func points() throws -> [String] {
        let r = try TestSupport.moeData(["fault-points"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) }
    }

    /// A small corpus: real prose and real code, small shards so every step happens many times.
    static func manifest(in dir: URL) throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return try TestSupport.manifest(
            in: dir, shardSize: "32KiB",
            sources: """
                  - {name: web, format: text, paths: ["\(TestSupport.docsRoot)/tutorial"], domain: web}
                  - {name: code, format: code, paths: ["\(TestSupport.codeRoot)/json"], extensions: {.py: \
                  Python}, domain: code}
                """)
    }

    static func mixture(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("mix.yaml").path
        try """
        name: tiny
        total_tokens: 30000
        seed: 3
        phases:
          - {name: ul2, budget: 15000, weights: {web: 50, code: 50}, objective: {type: ul2}}
          - {name: lm, budget: rest, weights: {web: 70, code: 30}, objective: {type: causal}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Faulted {
        var signalled: Bool
        var status: Int32
        var stderr: String

        /// Killed at `fault`'s point, or (`isError`) stopped by its simulated full disk.
        func expectStopped(at fault: String, isError: Bool) {
            let point = String(fault.split(separator: ":")[0])
            if isError {
                #expect(
                    !signalled && status == 1 && stderr.contains("No space left on device"), "\(fault): \(stderr)")
            } else {
                #expect(signalled && stderr.contains("fault point \(point)"), "\(fault) was not reached: \(stderr)")
            }
        }
    }

    /// Runs the binary with `MOE_DATA_FAULT` set.
    static func run(_ args: [String], fault: String) throws -> Faulted {
        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["MOE_DATA_FAULT"] = fault
        p.environment = env
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Faulted(
            signalled: p.terminationReason == .uncaughtSignal, status: p.terminationStatus,
            stderr: String(decoding: data, as: UTF8.self))
    }

    /// Files that must not outlive a finished run.
    static func leftovers(_ out: URL) -> [String] {
        var found: [String] = []
        for name in ["packed.partial", "packed.old"]
        where FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path) { found.append(name) }
        let e = FileManager.default.enumerator(atPath: out.path)
        while let p = e?.nextObject() as? String {
            if p.hasSuffix(".tmp") { found.append(p) }
        }
        return found
    }

    static func samples(inIndex dir: URL) throws -> Int {
        try MDSIndex.read(from: dir).shards.reduce(0) { $0 + $1.samples }
    }

    /// Rows per phase in `stats`' packed-rows table, summed.
    static func statsRows(_ out: URL) throws -> Int {
        let r = try TestSupport.moeData(["stats", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Packed rows") }) else { return -1 }
        var rows = 0
        for line in lines[(start + 3)...] {
            let cells = line.split(separator: " ")
            guard cells.count > 3, let n = Int(cells[2]) else { break }
            rows += n
        }
        return rows
    }

    /// The three counts agree and equal the reference's.
    static func checkCounts(_ out: URL, expected: Int, _ what: String) throws {
        let packed = out.appendingPathComponent("packed")
        let meta = try JSONValue.parse(Data(contentsOf: packed.appendingPathComponent("moe-data.json")))
        #expect(try samples(inIndex: packed) == expected, "\(what): index.json sample count")
        #expect(meta["rows"]?.intValue == Int64(expected), "\(what): moe-data.json rows")
        #expect(try statsRows(out) == expected, "\(what): stats rows")
    }

    @Test func ingestStoppedAtEveryPointResumesToTheSameBytes() throws {
        let dir = try TestSupport.tempDir("faults-ingest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let points = try FaultPointTests.points().filter { $0.hasPrefix("ingest.") }
        #expect(points.count >= 6)
        let ref = try FaultPointTests.manifest(in: dir.appendingPathComponent("ref"))
        #expect(try TestSupport.moeData(["ingest", ref, "--quiet"]).status == 0)
        let reference = try TestSupport.tree(dir.appendingPathComponent("ref/out/tokens"))
        #expect(reference.count > 8, "the corpus must give several shards")
        for point in points {
            for hit in FaultPointTests.shardPoints.contains(point) ? [1, 3] : [1] {
                let name = "\(point):\(hit)"
                let manifest = try FaultPointTests.manifest(in: dir.appendingPathComponent(name))
                let out = dir.appendingPathComponent(name + "/out")
                let f = try FaultPointTests.run(["ingest", manifest, "--quiet"], fault: name)
                #expect(
                    f.signalled && f.stderr.contains("fault point \(point)"), "\(name) was not reached: \(f.stderr)")
                let rerun = try TestSupport.moeData(["ingest", manifest, "--quiet"])
                #expect(rerun.status == 0, "\(name): \(rerun.stderr)")
                #expect(
                    try TestSupport.tree(out.appendingPathComponent("tokens")) == reference, "\(name): tokens differ")
                #expect(FaultPointTests.leftovers(out).isEmpty, "\(name): left \(FaultPointTests.leftovers(out))")
                try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            }
        }
    }

    @Test func buildStoppedAtEveryPointResumesToTheSameRows() throws {
        let dir = try TestSupport.tempDir("faults-build")
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = try FaultPointTests.points()
        #expect(all.allSatisfy { ["ingest.", "build.", "export.", "dedup."].contains(where: $0.hasPrefix) }, "\(all)")
        let points = all.filter { $0.hasPrefix("build.") }
        #expect(Set(FaultPointTests.endOfBuild).isSubset(of: points))
        let mixture = try FaultPointTests.mixture(in: dir)
        let ref = try FaultPointTests.manifest(in: dir.appendingPathComponent("ref"))
        #expect(try TestSupport.moeData(["build", ref, "--mixture", mixture, "--quiet"]).status == 0)
        let refOut = dir.appendingPathComponent("ref/out")
        let reference = try TestSupport.tree(refOut.appendingPathComponent("packed"))
        let rows = try FaultPointTests.samples(inIndex: refOut.appendingPathComponent("packed"))
        #expect(reference.count > 6 && rows > 6, "the mixture must give several shards")
        try FaultPointTests.checkCounts(refOut, expected: rows, "reference")
        // Every case starts from an earlier, complete build with another seed, so the new rows
        // must replace a packed/ that readers may be using.
        let previous = try FaultPointTests.manifest(in: dir.appendingPathComponent("previous"))
        #expect(
            try TestSupport.moeData(["build", previous, "--mixture", mixture, "--seed", "9", "--quiet"]).status == 0)

        var cases: [(String, Bool)] = []
        for point in points {
            cases.append(("\(point):1", false))
            if FaultPointTests.shardPoints.contains(point) { cases.append(("\(point):3", false)) }
        }
        cases += FaultPointTests.endOfBuild.map { ("\($0):error", true) }
        for (fault, isError) in cases {
            let caseDir = dir.appendingPathComponent(fault)
            let manifest = try FaultPointTests.manifest(in: caseDir)
            let out = caseDir.appendingPathComponent("out")
            try FileManager.default.copyItem(at: dir.appendingPathComponent("previous/out"), to: out)
            let args = ["build", manifest, "--mixture", mixture, "--seed", "3", "--quiet"]
            try FaultPointTests.run(args, fault: fault).expectStopped(at: fault, isError: isError)
            // Whatever the moment, packed/ is a complete dataset: the old rows or the new ones.
            let packed = out.appendingPathComponent("packed")
            let meta = try JSONValue.parse(Data(contentsOf: packed.appendingPathComponent("moe-data.json")))
            #expect(
                try Int64(FaultPointTests.samples(inIndex: packed)) == meta["rows"]?.intValue,
                "\(fault): packed/ inconsistent")
            #expect(
                try TestSupport.samples(packed).count == Int(meta["rows"]?.intValue ?? -1), "\(fault): rows unreadable")

            let rerun = try TestSupport.moeData(args)
            #expect(rerun.status == 0, "\(fault): \(rerun.stderr)")
            #expect(
                try TestSupport.tree(packed) == reference, "\(fault): packed rows differ from the uninterrupted build")
            try FaultPointTests.checkCounts(out, expected: rows, fault)
            #expect(FaultPointTests.leftovers(out).isEmpty, "\(fault): left \(FaultPointTests.leftovers(out))")
            try? FileManager.default.removeItem(at: caseDir)
        }
    }
}

import Foundation
import Testing

/// `build --jobs N` (issue 18.1): the rows are encoded and the shards compressed and written on
/// other threads, and token shards decoded ahead; the rows, the shard layout and every commit
/// must stay what one thread makes, for any N and after a kill or a failed write.
@Suite(.serialized) struct BuildJobsTests {
    /// packed/ (every shard, index.json and moe-data.json) of a build of BuildTests' two-phase mixture
    /// with `jobs`, in shards of 64 KiB (about 40), so that many shards are in flight at once.
    static func packedTree(jobs: Int, in dir: URL, mixture: String) throws -> [String: Data] {
        let sub = dir.appendingPathComponent("jobs-\(jobs)")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let manifest = try BuildTests.sampleManifest(in: sub, shardSize: "64KiB")
        let r = try TestSupport.moeData(["build", manifest, "--mixture", mixture, "--jobs", "\(jobs)", "--quiet"])
        #expect(r.status == 0, "--jobs \(jobs): \(r.stderr)")
        return try TestSupport.tree(sub.appendingPathComponent("out/packed"))
    }

    @Test func rowsAreTheSameWithOneTwoAndFiveJobs() throws {
        let dir = try TestSupport.tempDir("build-jobs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try BuildTests.smallMixture(dir)
        let one = try BuildJobsTests.packedTree(jobs: 1, in: dir, mixture: mixture)
        #expect(one.keys.filter { $0.hasSuffix(".zstd") }.count > 20, "expected many shards, got \(one.count) files")
        #expect(one["/index.json"] != nil)
        for jobs in [2, 5] {
            let other = try BuildJobsTests.packedTree(jobs: jobs, in: dir, mixture: mixture)
            let sameFiles = other.keys.sorted() == one.keys.sorted()
            #expect(sameFiles, "--jobs \(jobs) wrote \(other.count) files, --jobs 1 \(one.count)")
            for (name, bytes) in one.sorted(by: { $0.key < $1.key }) where other[name] != bytes {
                Issue.record("--jobs \(jobs): \(name) differs from --jobs 1")
            }
        }
    }

    /// Kills (and one failed write) at the shard points of a `--jobs 2` build, later shards being
    /// compressed and renamed while earlier ones wait for their commit; each resumed build, with
    /// `--jobs 2` again, must equal the uninterrupted `--jobs 1` build byte for byte.
    @Test func aKilledBuildWithTwoJobsResumesToTheRowsOfOneJob() throws {
        let dir = try TestSupport.tempDir("build-jobs-kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try FaultPointTests.mixture(in: dir)
        let ref = try FaultPointTests.manifest(in: dir.appendingPathComponent("ref"))
        let refArgs = ["build", ref, "--mixture", mixture, "--jobs", "1", "--quiet"]
        #expect(try TestSupport.moeData(refArgs).status == 0)
        let reference = try TestSupport.tree(dir.appendingPathComponent("ref/out/packed"))
        #expect(reference.keys.filter { $0.hasSuffix(".zstd") }.count > 6, "the mixture must give several shards")

        let faults = [
            "build.shard.temporary:3", "build.shard.written:3", "build.shard.committed:2",
            "build.shard.committed:5", "build.last-shard.written", "build.shard.temporary:4:error",
        ]
        for fault in faults {
            let caseDir = dir.appendingPathComponent(fault)
            let manifest = try FaultPointTests.manifest(in: caseDir)
            let args = ["build", manifest, "--mixture", mixture, "--jobs", "2", "--quiet"]
            try FaultPointTests.run(args, fault: fault).expectStopped(at: fault, isError: fault.hasSuffix(":error"))
            let rerun = try TestSupport.moeData(Array(args.dropLast()))
            #expect(rerun.status == 0, "\(fault): \(rerun.stderr)")
            // Shards were committed before these points: the rerun must go on from them.
            if !fault.contains(".temporary") {
                #expect(rerun.stdout.contains("resumed an interrupted build after"), "\(fault): \(rerun.stdout)")
            }
            let out = caseDir.appendingPathComponent("out")
            #expect(
                try TestSupport.tree(out.appendingPathComponent("packed")) == reference,
                "\(fault): the resumed --jobs 2 build differs from the --jobs 1 build")
            #expect(FaultPointTests.leftovers(out).isEmpty, "\(fault): left \(FaultPointTests.leftovers(out))")
            try? FileManager.default.removeItem(at: caseDir)
        }
    }

    /// With more than one job, token shards are decoded while the mixer reads them, and checked
    /// against index.json's raw hash only when whole: a mismatch must still stop the build, naming
    /// the shard, before the rows are published.
    @Test func aTokenShardThatDoesNotMatchItsIndexStopsABuildWithTwoJobs() throws {
        let dir = try TestSupport.tempDir("build-jobs-raw-hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try BuildTests.smallMixture(dir)
        let manifest = try BuildTests.sampleManifest(in: dir, shardSize: "64KiB")
        let args = ["build", manifest, "--mixture", mixture, "--jobs", "2", "--quiet"]
        let first = try TestSupport.moeData(args)
        #expect(first.status == 0, "\(first.stderr)")
        let out = dir.appendingPathComponent("out")
        let published = try TestSupport.tree(out.appendingPathComponent("packed"))
        let tokens = out.appendingPathComponent("tokens")
        let source = "c4"  // one of smallMixture's sources
        let indexURL = tokens.appendingPathComponent("\(source)/index.json")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as? [String: Any]
        // Every shard's: the build reads only some of them.
        let shards = index?["shards"] as? [[String: Any]] ?? []
        let rawHashes = shards.compactMap { (($0["raw_data"] as? [String: Any])?["hashes"] as? [String: String])?["xxh64"] }
        #expect(!rawHashes.isEmpty && rawHashes.count == shards.count)
        var text = try String(contentsOf: indexURL, encoding: .utf8)
        for raw in rawHashes { text = text.replacingOccurrences(of: raw, with: "0123456789abcdef") }
        try text.write(to: indexURL, atomically: true, encoding: .utf8)
        // Another seed: a new build of the same tokens (the ingest is done and stays).
        let reseeded = dir.appendingPathComponent("reseeded.yaml").path
        try String(contentsOfFile: mixture, encoding: .utf8).replacingOccurrences(of: "seed: 11", with: "seed: 12")
            .write(toFile: reseeded, atomically: true, encoding: .utf8)
        let second = try TestSupport.moeData(["build", manifest, "--mixture", reseeded, "--jobs", "2"])
        #expect(second.status != 0, "the build used a token shard whose raw hash is not index.json's")
        #expect(
            second.stderr.contains("source '\(source)'") && second.stderr.contains("(raw): xxh64 hash mismatch"),
            "\(second.stderr)")
        #expect(
            try TestSupport.tree(out.appendingPathComponent("packed")) == published,
            "the failed build replaced the rows of the first one")
    }
}

import Foundation
import Testing

/// A build publishes its rows after checking every shard in `packed.partial/` against the
/// catalog. The shards it wrote itself were hashed as they were written and are only checked for
/// size; the ones a killed run wrote before it are hashed again: a byte changed in one of them
/// while no build ran (a bad disk, a stray tool) must not reach `packed/`.
@Suite struct PublicationHashTests {
    @Test func aShardChangedWhileTheBuildWasStoppedIsNotPublished() throws {
        let dir = try TestSupport.tempDir("publication-hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try FaultPointTests.mixture(in: dir)
        let ref = try FaultPointTests.manifest(in: dir.appendingPathComponent("ref"))
        #expect(try TestSupport.moeData(["build", ref, "--mixture", mixture, "--quiet"]).status == 0)
        let reference = try TestSupport.tree(dir.appendingPathComponent("ref/out/packed"))

        let manifest = try FaultPointTests.manifest(in: dir.appendingPathComponent("case"))
        let args = ["build", manifest, "--mixture", mixture, "--quiet"]
        try FaultPointTests.run(args, fault: "build.shard.committed:3").expectStopped(
            at: "build.shard.committed:3", isError: false)
        let out = dir.appendingPathComponent("case/out")
        let first = out.appendingPathComponent("packed.partial/shard.00000.mds.zstd")
        var bytes = try Data(contentsOf: first)
        bytes[bytes.count / 2] ^= 0x40  // same size: only a hash tells
        try bytes.write(to: first)

        let rerun = try TestSupport.moeData(args)
        let packed = out.appendingPathComponent("packed")
        if rerun.status == 0 {
            #expect(try TestSupport.tree(packed) == reference, "published rows differ from the uninterrupted build")
        } else {
            #expect(rerun.stderr.contains("packed.partial"), "\(rerun.stderr)")
            #expect(!FileManager.default.fileExists(atPath: packed.path), "rows published despite the changed shard")
            let again = try TestSupport.moeData(args)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try TestSupport.tree(packed) == reference, "rows after the next run differ")
        }
    }
}

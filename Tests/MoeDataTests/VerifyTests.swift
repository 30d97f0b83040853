import Foundation
import JSON
import MDS
import Testing

/// Corruption is found and repaired: a flipped byte, a deleted packed/, a damaged catalog.
@Suite(.serialized) struct VerifyTests {
    static func flipByte(_ url: URL, at offset: Int) throws {
        var data = try Data(contentsOf: url)
        data[offset] ^= 0x40
        try data.write(to: url)
    }

    @Test func flippedBytesDeletedRowsAndADamagedCatalogAreFoundAndRegenerated() throws {
        let dir = try TestSupport.tempDir("verify")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try FaultPointTests.mixture(in: dir)
        let manifest = try FaultPointTests.manifest(in: dir)
        let out = dir.appendingPathComponent("out")
        let build = ["build", manifest, "--mixture", mixture, "--quiet"]
        #expect(try TestSupport.moeData(build).status == 0)
        let packed = try TestSupport.tree(out.appendingPathComponent("packed"))
        let tokens = try TestSupport.tree(out.appendingPathComponent("tokens"))
        let clean = try TestSupport.moeData(["verify", out.path, "--deep"])
        #expect(clean.status == 0 && clean.stdout.contains("no problems"), "\(clean.stdout)\(clean.stderr)")

        // A flipped byte in a token shard and in a packed shard.
        try VerifyTests.flipByte(out.appendingPathComponent("tokens/web/shard.00001.mds.zstd"), at: 100)
        try VerifyTests.flipByte(out.appendingPathComponent("packed/shard.00002.mds.zstd"), at: 200)
        let bad = try TestSupport.moeData(["verify", out.path])
        #expect(bad.status == 1, "\(bad.stdout)")
        #expect(bad.stdout.contains("tokens/web/shard.00001.mds.zstd: xxh64 differs"), "\(bad.stdout)")
        #expect(bad.stdout.contains("packed/shard.00002.mds.zstd: xxh64 differs"), "\(bad.stdout)")
        let repair = try TestSupport.moeData(["verify", out.path, "--repair"])
        #expect(repair.status == 0 && repair.stdout.contains("moved to"), "\(repair.stdout)\(repair.stderr)")
        #expect(try TestSupport.moeData(build).status == 0)
        #expect(try TestSupport.tree(out.appendingPathComponent("packed")) == packed)
        #expect(try TestSupport.tree(out.appendingPathComponent("tokens")) == tokens)
        #expect(try TestSupport.moeData(["verify", out.path, "--deep"]).status == 0)

        // moe-data.json as the release before format versions wrote it: named, moved aside, written again.
        let metadata = out.appendingPathComponent("packed/moe-data.json")
        guard case .object(var fields) = try JSONValue.parse(Data(contentsOf: metadata)) else {
            Issue.record("moe-data.json is not an object")
            return
        }
        fields["format_version"] = nil
        try Data(JSONValue.object(fields).encoded().utf8).write(to: metadata)
        let older = try TestSupport.moeData(["verify", out.path])
        #expect(older.status == 1, "\(older.stdout)")
        #expect(
            older.stdout.contains("packed/moe-data.json was written by an older moe-data (no format_version)"),
            "\(older.stdout)")
        #expect(try TestSupport.moeData(["verify", out.path, "--repair"]).status == 0)
        #expect(try TestSupport.moeData(build).status == 0)
        #expect(try TestSupport.tree(out.appendingPathComponent("packed")) == packed)

        // packed/ deleted: "up to date" must not be claimed, the rows are built again.
        try FileManager.default.removeItem(at: out.appendingPathComponent("packed"))
        let again = try TestSupport.moeData(["build", manifest, "--mixture", mixture])
        #expect(again.status == 0 && !again.stdout.contains("up to date"), "\(again.stdout)")
        #expect(try TestSupport.tree(out.appendingPathComponent("packed")) == packed)

        // A damaged catalog is named with the way out, even with --restart; repair, then rebuild.
        let catalog = out.appendingPathComponent("catalog.sqlite")
        let handle = try FileHandle(forWritingTo: catalog)
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 32))
        try handle.close()
        for args in [build, build + ["--restart"]] {
            let r = try TestSupport.moeData(args)
            #expect(
                r.status == 1 && r.stderr.contains("damaged") && r.stderr.contains("verify \(out.path) --repair"),
                "\(r.stderr)")
        }
        let v = try TestSupport.moeData(["verify", out.path, "--repair"])
        #expect(v.stdout.contains("catalog.sqlite"), "\(v.stdout)\(v.stderr)")
        #expect(try TestSupport.moeData(build).status == 0)
        #expect(try TestSupport.tree(out.appendingPathComponent("packed")) == packed)
        #expect(try TestSupport.tree(out.appendingPathComponent("tokens")) == tokens)
    }
}

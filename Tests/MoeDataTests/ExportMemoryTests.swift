import Foundation
import MDS
import MoeTestSupport
import Testing

/// Both exports' memory is bounded by a fixed set of pieces of shards (43 MiB), not by the shards:
/// the peak resident memory of an export (the kernel's `ru_maxrss` of the child, read by a Python
/// parent) of a build cut into 64 MiB shards, the default, is within half a shard of that of the
/// same build cut into 4 MiB shards. When an export held the shard it read and the next one, both
/// decompressed whole, it took two shards more: 44 MiB against 157 MiB (measured; 71 against
/// 78 MiB since).
@Suite(.serialized) struct ExportMemoryTests {
    /// Runs the command given as arguments; prints its peak resident memory in KiB.
    static let peak = """
        import resource, subprocess, sys
        r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode:
            sys.exit(r.stderr.decode())
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        """

    /// Python's tutorial read 150 times over: one causal phase of 16M tokens, whose packed rows
    /// (20 KiB each) fill two and a half shards of 64 MiB.
    static func build(shardSize: String, in dir: URL) throws -> URL {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let manifest = try TestSupport.manifest(
            in: dir, shardSize: shardSize,
            sources: "  - {name: web, format: text, paths: [\"\(TestSupport.docsRoot)/tutorial\"], domain: web}")
        let mixture = dir.appendingPathComponent("mix.yaml")
        try """
        name: memory
        total_tokens: 16000000
        seed: 5
        phases:
          - {name: lm, budget: rest, weights: {web: 1}, objective: {type: causal}}
        """.write(to: mixture, atomically: true, encoding: .utf8)
        let r = try TestSupport.moeData(["build", manifest, "--mixture", mixture.path, "--max-epochs=200", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return dir.appendingPathComponent("out")
    }

    /// The peak resident memory of `moe-data export <kind> out`, in bytes.
    static func peakBytes(_ kind: String, _ out: URL, to: URL) throws -> Int {
        let r = try Python.run(peak, [TestSupport.binary.path, "export", kind, out.path, "--to", to.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return (Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) * 1024
    }

    @Test func peakMemoryDoesNotGrowWithTheShardSize() throws {
        let dir = try TestSupport.tempDir("export-memory")
        defer { try? FileManager.default.removeItem(at: dir) }
        let small = try Self.build(shardSize: "4MiB", in: dir.appendingPathComponent("small"))
        let large = try Self.build(shardSize: "64MiB", in: dir.appendingPathComponent("large"))
        let shards = try MDSDataset(directory: large.appendingPathComponent("packed")).index.shards
        #expect(shards.count >= 3 && shards[1].rawBytes > 60 << 20, "\(shards.map(\.rawBytes))")
        for kind in ["megatron", "olmo"] {
            let peaks = try [small, large].enumerated().map { k, out in
                try Self.peakBytes(kind, out, to: dir.appendingPathComponent("\(kind)-\(k)"))
            }
            #expect(
                peaks[0] > 0 && peaks[1] - peaks[0] < 32 << 20,
                "\(kind): peak \(peaks) bytes for 4 and 64 MiB shards")
        }
    }
}

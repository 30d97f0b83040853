import Foundation
import MDS
import MoeTestSupport
import Testing

/// Both exports' memory is bounded by pieces of a shard, not by the shards: the peak resident
/// memory of an export (the kernel's `ru_maxrss` of the child, read by a Python parent) is the
/// same for a build cut into 32 MiB shards as for the same build cut into 4 MiB shards. When an
/// export held the shard it read and the next one, both decompressed whole, the 32 MiB build took
/// about 2 × 28 MiB more (measured: 31 MB against 60 MB for 1 and 16 MiB shards).
@Suite(.serialized) struct ExportMemoryTests {
    /// Runs the command given as arguments; prints its peak resident memory in KiB.
    static let peak = """
        import resource, subprocess, sys
        r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode:
            sys.exit(r.stderr.decode())
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        """

    /// Python's tutorial read 30 times over: one causal phase of 7M tokens, whose packed rows
    /// (20 KiB each) fill a few shards of `shardSize`.
    static func build(shardSize: String, in dir: URL) throws -> URL {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let manifest = try TestSupport.manifest(
            in: dir, shardSize: shardSize,
            sources: "  - {name: web, format: text, paths: [\"\(TestSupport.docsRoot)/tutorial\"], domain: web}")
        let mixture = dir.appendingPathComponent("mix.yaml")
        try """
        name: memory
        total_tokens: 7000000
        seed: 5
        phases:
          - {name: lm, budget: rest, weights: {web: 1}, objective: {type: causal}}
        """.write(to: mixture, atomically: true, encoding: .utf8)
        let r = try TestSupport.moeData(["build", manifest, "--mixture", mixture.path, "--max-epochs=100", "--quiet"])
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
        let large = try Self.build(shardSize: "32MiB", in: dir.appendingPathComponent("large"))
        let shards = try MDSDataset(directory: large.appendingPathComponent("packed")).index.shards
        #expect(shards.count >= 3 && shards[1].rawBytes > 30 << 20, "\(shards.map(\.rawBytes))")
        for kind in ["megatron", "olmo"] {
            let peaks = try [small, large].enumerated().map { k, out in
                try Self.peakBytes(kind, out, to: dir.appendingPathComponent("\(kind)-\(k)"))
            }
            #expect(
                peaks[0] > 0 && peaks[1] - peaks[0] < 8 << 20, "\(kind): peak \(peaks) bytes for 4 and 32 MiB shards")
        }
    }
}

import Foundation
import MoeTestSupport
import Testing

/// A build in the compact layout exports exactly the files of the same build in the explicit
/// layout: the exports take each row's segment lengths from `segment_lengths` in the one and from
/// `segment_ids` in the other, and nothing else of those columns.
@Suite(.serialized) struct ExportLayoutTests {
    @Test func compactBuildExportsTheExplicitBuildsFiles() throws {
        let dir = try TestSupport.tempDir("export-layout")
        defer { try? FileManager.default.removeItem(at: dir) }
        var exported: [[String: Data]] = []
        for layout in ["explicit", "compact"] {
            let sub = dir.appendingPathComponent(layout)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(
                in: sub, shardSize: "256KiB", extra: "packed_format: \(layout)",
                sources: "  - {name: web, format: text, paths: [\"\(TestSupport.docsRoot)/tutorial\"], domain: web}")
            let mixture = sub.appendingPathComponent("mix.yaml")
            try """
            name: layouts
            total_tokens: 400000
            seed: 9
            phases:
              - {name: ul2, budget: 100000, weights: {web: 1}, objective: {type: ul2}}
              - {name: lm, budget: rest, weights: {web: 1}, objective: {type: causal}}
            """.write(to: mixture, atomically: true, encoding: .utf8)
            let built = try TestSupport.moeData([
                "build", manifest, "--mixture", mixture.path, "--max-epochs=5", "--quiet",
            ])
            #expect(built.status == 0, "\(built.stderr)")
            var files: [String: Data] = [:]
            for kind in ["megatron", "olmo"] {
                let to = sub.appendingPathComponent(kind)
                let r = try TestSupport.moeData([
                    "export", kind, sub.appendingPathComponent("out").path, "--to", to.path,
                ])
                #expect(r.status == 0, "\(layout) \(kind): \(r.stderr)")
                // The token and metadata files; the others name the folders, which differ.
                for (path, bytes) in try TestSupport.tree(to)
                where [".bin", ".idx", ".npy", ".csv.gz"].contains(where: path.hasSuffix) {
                    files[kind + path] = bytes
                }
            }
            exported.append(files)
        }
        #expect(exported[0].count == 6, "\(exported[0].keys.sorted())")
        #expect(exported[0] == exported[1], "the compact build's exports differ from the explicit build's")
    }
}

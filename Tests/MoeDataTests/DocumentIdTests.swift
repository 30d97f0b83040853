import Foundation
import MDS
import Testing

/// Provenance names documents by (source, doc_id): on the built-in sample, whose sources have
/// several roots, every pair must name one document.
@Suite(.serialized) struct DocumentIdTests {
    @Test func everySourceAndDocIdIsUniqueOnTheSample() throws {
        let dir = try TestSupport.tempDir("docids")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try BuildTests.sampleManifest(in: dir)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        var seen: [String: Int] = [:]
        for row in try TestSupport.samples(dir.appendingPathComponent("out/tokens")) {
            seen["\(row["source"]?.string ?? "?")\t\(row["doc_id"]?.string ?? "?")", default: 0] += 1
        }
        let repeated = seen.filter { $0.value > 1 }.keys.sorted()
        #expect(seen.count > 900)
        #expect(repeated.isEmpty, "\(repeated.count) ids name several documents: \(repeated.prefix(8))")
        // Ids are relative to the deepest folder holding the source's entries: the_stack spans
        // /usr/lib/python3.11 and /usr/include/python3.11.
        #expect(
            seen.keys.contains("the_stack\tlib/python3.11/unittest/__init__.py"),
            "\(seen.keys.filter { $0.hasPrefix("the_stack") }.prefix(3))")
    }
}

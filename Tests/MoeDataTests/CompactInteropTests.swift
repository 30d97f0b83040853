import Foundation
import MoeTestSupport
import PackedFormat
import Testing

/// The Python expansion that docs/formats.md gives for compact rows, run as written (the block is read from
/// the file) on a compact build read by mosaicml-streaming's `MDSReader`: it prints exactly the columns that
/// `MDSReader` reads from the explicit build of the same manifest and mixture.
@Suite(.serialized) struct CompactInteropTests {
    /// The first ```python block after the compact layout's heading in docs/formats.md.
    static func documentedExpansion() throws -> String {
        let docs = try String(
            contentsOf: BuildTests.repo.appendingPathComponent("docs/formats.md"), encoding: .utf8)
        let section = try #require(docs.range(of: "### Compact layout (`packed_format: compact`)"))
        let open = try #require(docs.range(of: "```python\n", range: section.upperBound..<docs.endIndex))
        let close = try #require(docs.range(of: "```\n", range: open.upperBound..<docs.endIndex))
        return String(docs[open.upperBound..<close.lowerBound])
    }

    @Test func documentedPythonExpansionGivesTheExplicitColumns() throws {
        if let missing = try Python.missing(MDSInteropTests.requirements) {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let snippet = try Self.documentedExpansion()
        #expect(snippet.contains("def expand(sample):"))
        let plain = MDSInteropTests.reader
        let anchor = "sample, cols = reader.get_item(i), []"
        #expect(plain.contains(anchor), "MDSInteropTests.reader changed; update the hook")
        let expanding =
            snippet + "\n"
            + plain.replacingOccurrences(
                of: anchor, with: "sample, cols = expand(reader.get_item(i)), []")
        var lines: [PackedRowLayout: [Substring]] = [:]
        for layout in PackedRowLayout.allCases {
            let packed = try CompactLayoutTests.output(layout).appendingPathComponent("packed")
            let scratch = try TestSupport.tempDir("compact-raw")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let r = try Python.run(layout == .compact ? expanding : plain, [packed.path, scratch.path])
            #expect(r.status == 0, "\(layout): \(r.stderr)")
            lines[layout] = r.stdout.split(separator: "\n")
        }
        let explicit = try #require(lines[.explicit]), compact = try #require(lines[.compact])
        #expect(explicit.count > 100 && explicit.first?.hasPrefix("loss_mask:uint8:") == true)
        #expect(compact.count == explicit.count)
        for (i, (a, b)) in zip(explicit, compact).enumerated() where a != b {
            Issue.record("row \(i): the documented expansion differs from the explicit columns")
            break
        }
    }
}

import Foundation
import MoeTestSupport
import Testing

@testable import MDS

/// A sample the writer refuses leaves the pending samples as they were: the writer encodes each
/// sample in place in the shard's buffer, and must take a failed one back out.
@Suite struct MDSWriterSampleErrorTests {
    static let columns = [MDSColumn("id", .str), MDSColumn("tokens", .ndarray(.uint16, count: 4))]

    func write(_ dir: URL, refusing: Bool) throws -> [String: Data] {
        let writer = try MDSWriter(directory: dir, columns: Self.columns, sizeLimit: 256)
        for i in 0..<40 {
            if refusing && i % 7 == 3 {
                // Three tokens where the column holds four: refused after `id` is already encoded.
                #expect(throws: MDSError.self) {
                    try writer.write(["id": .string("bad\(i)"), "tokens": .uint16s([1, 2, 3])])
                }
            }
            try writer.write(["id": .string("doc\(i)"), "tokens": .uint16s([UInt16(i), 1, 2, 3])])
        }
        try writer.finish()
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            files[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return files
    }

    @Test func aRefusedSampleLeavesNoBytesBehind() throws {
        let clean = try TempFolder.make("mds-clean")
        let refused = try TempFolder.make("mds-refused")
        defer { TempFolder.remove(clean); TempFolder.remove(refused) }
        let expected = try write(clean, refusing: false)
        #expect(expected.count > 3)  // several shards: refusals happen on both sides of cuts
        #expect(try write(refused, refusing: true) == expected)
    }
}

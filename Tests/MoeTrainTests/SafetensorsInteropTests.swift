import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeTrain

/// A checkpoint written by `moe-data train` loads in Python's `safetensors` (its numpy front end): the same
/// tensor names, shapes, float32 values (compared as bit patterns) and metadata as the file we wrote.
@Suite(.serialized) struct SafetensorsInteropTests {
    static let requirements = [
        Python.Requirement("safetensors", pip: "safetensors"),
        Python.Requirement(
            "numpy",
            pip: "numpy"),
    ]

    /// Prints `name dtype shape checksum` per tensor, then the metadata as JSON. The checksum is the sum of
    /// the values' 32-bit patterns, exact and independent of summation order.
    static let script = """
        import json, sys
        import numpy as np
        from safetensors.numpy import load_file
        from safetensors import safe_open
        tensors = load_file(sys.argv[1])
        for name in sorted(tensors):
            a = tensors[name]
            bits = int(a.reshape(-1).view(np.uint32).astype(np.uint64).sum())
            print(name, a.dtype, "x".join(map(str, a.shape)), bits)
        with safe_open(sys.argv[1], framework="np") as f:
            print(json.dumps(f.metadata(), sort_keys=True))
        """

    @Test func checkpointLoadsInPythonSafetensors() throws {
        if let missing = try Python.missing(Self.requirements) {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let data = try Fixtures.tempDir("st-data"), out = try Fixtures.tempDir("st-out")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out) }
        try Fixtures.writePacked(data, rows: try Fixtures.proseRows(count: 8, length: 128), vocabSize: 258)
        let train = try ChildProcess.moeData([
            "train", "--data", data.path, "--config", "tiny", "--steps", "2",
            "--threads", "1",
            "--out", out.path,
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let path = out.appendingPathComponent("checkpoint.safetensors")
        let r = try Python.run(Self.script, [path.path])
        #expect(r.status == 0, "\(r.stderr)")
        var lines = r.stdout.split(separator: "\n").map(String.init)
        let metadata = try JSONValue.parse(Data((lines.popLast() ?? "").utf8))
        #expect(metadata["step"]?.stringValue == "2")

        let file = try SafeTensors.read(path)
        let expected = file.entries.values.sorted { $0.name < $1.name }.map { e -> String in
            var bits: UInt64 = 0
            var i = e.begin
            while i + 4 <= e.end {
                bits &+=
                    UInt64(file.data[i]) | UInt64(file.data[i + 1]) << 8 | UInt64(file.data[i + 2]) << 16
                    | UInt64(file.data[i + 3]) << 24
                i += 4
            }
            return "\(e.name) float32 \(e.shape.map(String.init).joined(separator: "x")) \(bits)"
        }
        #expect(expected.count > 10)
        #expect(expected.contains { $0.hasPrefix("adam_m.") } && expected.contains { $0.hasPrefix("adam_v.") })
        #expect(lines == expected)
    }
}

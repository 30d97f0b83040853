import Foundation
import JSON
import MoeTestSupport
import Testing

/// Our JSON encoder against Python's `json.dumps(value, sort_keys=True)`, the form every JSON file
/// and MDS `json` column we write promises (shards and `index.json` are compared byte for byte).
@Suite struct JSONEncodingTests {
    /// Keys that sort differently by UTF-16 unit, by scalar and by case; strings that need each
    /// escape; integers at the edges; nesting.
    static let value: JSONValue = .object([
        "b": .int(-1), "a": .int(Int64.min), "Z": .int(Int64.max), "aa": .null, "é": .bool(true),
        "\u{1F600}": .bool(false), "\u{FFFD}": .string("replacement"), "": .string(""),
        "strings": .array([
            .string("plain doc_id/0001.txt"), .string("quote \" and backslash \\"), .string("tab\tnew\nline\r"),
            .string("\u{01}\u{08}\u{0C}\u{1F}\u{7F}"), .string("café ñ 中文 \u{1F600} \u{10FFFF}"),
        ]),
        "numbers": .array([.double(1), .double(-2), .double(0.5), .int(0)]),
        "nested": .object(["y": .array([.object([:]), .array([])]), "x": .object(["k": .string("v")])]),
    ])

    @Test func encodingEqualsPythonsSortedDumps() throws {
        let ours = Self.value.encoded()
        let script = "import json, sys\nprint(json.dumps(json.loads(sys.argv[1]), sort_keys=True))"
        let result = try Python.run(script, [ours])
        #expect(result.status == 0, "\(result.stderr)")
        let python = result.stdout.hasSuffix("\n") ? String(result.stdout.dropLast()) : result.stdout
        #expect(ours == python)
        #expect(try JSONValue.parse(Data(ours.utf8)) == Self.value)
    }

    @Test func bytesAndStringAgree() {
        var bytes: [UInt8] = [0x7B]  // appends after what is there
        Self.value.encode(into: &bytes)
        #expect(bytes.first == 0x7B)
        #expect(Array(bytes.dropFirst()) == Array(Self.value.encoded().utf8))
        #expect(bytes.allSatisfy { $0 < 0x80 })
    }
}

import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// Kept columns of every logical type become the `meta` values the README states, and nested or
/// repeated columns are passed over unread, or refused as the text.
@Suite(.serialized) struct ParquetTypesTests {
    /// Writes `types.parquet` (the columns below, 4 rows with nulls) and `expected.jsonl` (each
    /// row's meta as the README says it must be), both with pyarrow.
    static let script = #"""
    import datetime, decimal, json, sys
    import pyarrow as pa, pyarrow.parquet as pq
    out = sys.argv[1]
    n = 4
    D = decimal.Decimal
    cols = {
        "content": pa.array([f"row {i} text" for i in range(n)]),
        "dec": pa.array([D("123.45"), D("-0.05"), None, D("99999999.99")], pa.decimal128(10, 2)),
        "bigdec": pa.array([D("-12345678901234567890.123456"), D("0.000001"), D("1"), None], pa.decimal128(38, 6)),
        "ts_ms": pa.array([0, 1700000000123, None, -1000], pa.timestamp("ms")),
        "ts_us": pa.array([1, 1700000000123456, 5, None], pa.timestamp("us", tz="UTC")),
        "ts_ns": pa.array([None, 1700000000123456789, 7, 8], pa.timestamp("ns")),
        "day": pa.array([0, 19000, None, -1], pa.date32()),
        "i8": pa.array([-128, 127, None, 0], pa.int8()),
        "u8": pa.array([255, 0, 1, None], pa.uint8()),
        "u32": pa.array([4294967295, 0, None, 7], pa.uint32()),
        "u64": pa.array([18446744073709551615, 0, 9223372036854775807, None], pa.uint64()),
        "f32": pa.array([1.5, float("nan"), None, -0.25], pa.float32()),
        "flag": pa.array([True, None, False, True]),
        "tags": pa.array([["a", "b"], [], None, ["c"]], pa.list_(pa.string())),
        "info": pa.array([{"x": 1}, {"x": 2}, None, {"x": 4}], pa.struct([("x", pa.int32())])),
    }
    table = pa.table(cols)
    pq.write_table(table, f"{out}/types.parquet", row_group_size=3)
    # INT96: the legacy timestamps of Impala and old Spark, as nanoseconds since the epoch.
    ts96 = pa.array([0, 1700000000123456000, None, 86400000000000], pa.timestamp("ns"))
    pq.write_table(pa.table({"content": cols["content"], "ts96": ts96}), f"{out}/int96.parquet",
        use_deprecated_int96_timestamps=True)
    def ints(name):
        column = table.column(name)
        if pa.types.is_date32(column.type):
            column = column.cast(pa.int32())
        return column.cast(pa.int64()).to_pylist()
    def num(v):
        return None if v is None or v != v else v
    with open(f"{out}/expected.jsonl", "w") as f:
        for i in range(n):
            row = {"dec": None if cols["dec"][i].as_py() is None else str(cols["dec"][i].as_py()),
                "bigdec": None if cols["bigdec"][i].as_py() is None else str(cols["bigdec"][i].as_py()),
                "ts_ms": ints("ts_ms")[i], "ts_us": ints("ts_us")[i], "ts_ns": ints("ts_ns")[i],
                "day": ints("day")[i], "i8": cols["i8"][i].as_py(), "u8": cols["u8"][i].as_py(),
                "u32": cols["u32"][i].as_py(), "f32": num(cols["f32"][i].as_py()), "flag": cols["flag"][i].as_py(),
                "u64": None if cols["u64"][i].as_py() is None else (cols["u64"][i].as_py()
                    if cols["u64"][i].as_py() < 2**63 else str(cols["u64"][i].as_py()))}
            f.write(json.dumps(row) + "\n")
    with open(f"{out}/expected96.jsonl", "w") as f:
        for v in [0, 1700000000123456000, None, 86400000000000]:
            f.write(json.dumps({"ts96": v}) + "\n")
    """#

    static let kept = ["dec", "bigdec", "ts_ms", "ts_us", "ts_ns", "day", "i8", "u8", "u32", "u64", "f32", "flag"]

    func make(_ label: String) throws -> URL {
        let dir = try TestSupport.tempDir(label)
        let data = dir.appendingPathComponent("parquet")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        if let missing = try Python.missing(ParquetFixtures.requirements) { Issue.record("\(missing)") }
        let r = try Python.run(Self.script, [data.path])
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    /// The metas of an output, in order, canonically encoded.
    func metas(_ dir: URL, _ name: String) throws -> [String] {
        try TestSupport.samples(dir.appendingPathComponent("\(name)/out/tokens/docs")).map { sample in
            guard case .json(let meta)? = sample["meta"] else { return "no meta" }
            return meta.encoded()
        }
    }

    func expected(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONValue.parse(Data($0.utf8)).encoded()
        }
    }

    @Test func keptColumnsOfEveryLogicalTypeBecomeTheStatedJSON() throws {
        let dir = try make("parquet-types")
        defer { TempFolder.remove(dir) }
        try FileManager.default.moveItem(at: dir.appendingPathComponent("parquet/int96.parquet"),
                                         to: dir.appendingPathComponent("int96.parquet"))
        let r = try ParquetFixtures.ingest(dir, name: "types", format: "parquet", folder: "parquet", keep: Self.kept)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try metas(dir, "types") == expected(dir.appendingPathComponent("parquet/expected.jsonl")))
        let data96 = dir.appendingPathComponent("p96")
        try FileManager.default.createDirectory(at: data96, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: dir.appendingPathComponent("int96.parquet"),
                                         to: data96.appendingPathComponent("int96.parquet"))
        let r96 = try ParquetFixtures.ingest(dir, name: "t96", format: "parquet", folder: "p96", keep: ["ts96"])
        #expect(r96.status == 0, "\(r96.stderr)")
        #expect(try metas(dir, "t96") == expected(dir.appendingPathComponent("parquet/expected96.jsonl")))
    }

    /// The list and struct columns are never decoded when not asked for; as the text, or kept,
    /// they are an error that says why.
    @Test func nestedColumnsArePassedOverOrRefusedByName() throws {
        let dir = try make("parquet-nested")
        defer { TempFolder.remove(dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("parquet/int96.parquet"))
        let fine = try ParquetFixtures.ingest(dir, name: "fine", format: "parquet", folder: "parquet")
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(try metas(dir, "fine").count == 4)
        let cases = [("text", "tags", [String]()), ("struct", "info", []), ("kept", "content", ["tags"])]
        for (name, textField, keep) in cases {
            let r = try ParquetFixtures.ingest(dir, name: name, format: "parquet", folder: "parquet", keep: keep,
                                               onError: "fail", textField: textField)
            #expect(r.status != 0 && !r.signaled)
            let column = keep.first ?? textField
            #expect(r.stderr.contains("types.parquet") && r.stderr.contains("column '\(column)' is nested or repeated"),
                    "\(r.stderr)")
        }
    }
}

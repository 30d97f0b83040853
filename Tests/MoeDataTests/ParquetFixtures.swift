import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// Parquet files written by real writers (pyarrow, duckdb) from real text on this machine, each
/// with the same rows exported by pyarrow to JSONL, so a test can ingest both and compare.
enum ParquetFixtures {
    static let requirements = [Python.Requirement("pyarrow", pip: "pyarrow"), .init("duckdb", pip: "duckdb")]

    /// Writes the files of `set` (see the script) into `dir/parquet` and `dir/jsonl`.
    static func make(_ set: String, in dir: URL, rows: Int = 120) throws {
        if let missing = try Python.missing(requirements) { Issue.record("\(missing)"); throw MoeDataError(missing) }
        let r = try Python.run(script, [set, dir.path, String(rows)], timeout: 600)
        guard r.status == 0 else { throw MoeDataError("the Parquet fixture script failed: \(r.stderr)") }
    }

    /// Ingests `format` files of `dir/<folder>` as one source named `docs` into `dir/<name>/out`.
    @discardableResult
    static func ingest(
        _ dir: URL, name: String, format: String, folder: String, keep: [String] = [], idField: String? = nil,
        onError: String = "skip", textField: String = "content", extra: String = "", arguments: [String] = []
    ) throws -> ChildProcess.Output {
        let sub = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let keepList = keep.isEmpty ? "" : ", keep: [\(keep.joined(separator: ", "))]"
        let id = idField.map { ", id_field: \($0)" } ?? ""
        let manifest = try TestSupport.manifest(
            in: sub, onError: onError, shardSize: "256KiB", extra: extra,
            sources: """
                  - {name: docs, format: \(format), paths: ["\(dir.path)/\(folder)"],
                     text_field: \(textField), domain: code\(keepList)\(id)}
                """)
        return try TestSupport.moeData(["ingest", manifest, "--quiet", "--jobs", "2"] + arguments)
    }

    /// Each document of an output: id (with `.parquet:`/`.jsonl:` made alike), meta and tokens.
    static func documents(_ dir: URL, _ name: String) throws -> [String] {
        try TestSupport.samples(dir.appendingPathComponent("\(name)/out/tokens/docs")).map { sample in
            let id = (sample["doc_id"]?.string ?? "?").replacingOccurrences(of: ".parquet:", with: ":")
                .replacingOccurrences(of: ".jsonl:", with: ":")
            guard case .json(let meta)? = sample["meta"] else { return "no meta" }
            return "\(id) \(meta.encoded()) \(sample["tokens"]?.uint32s ?? [])"
        }
    }

    static func stats(_ dir: URL, _ name: String) throws -> CatalogStats {
        try CatalogStats.load(try Catalog.openExisting(outputDirectory: dir.appendingPathComponent("\(name)/out").path))
    }

    /// The generator. Rows are real files of this machine (Python's standard library sources, so
    /// code with its non-ASCII comments), plus lines in several scripts; some texts and kept
    /// values are null. Sets: `equivalence` (every codec, page v1/v2, dictionary on/off, the
    /// encodings, tiny and large row groups, an empty row group, a 0-row file, a 20 MB value,
    /// duckdb's writer), `stack` (The Stack's columns), `small` (one small snappy file; `clean`:
    /// the same without null texts), `fuzz`
    /// (three tiny files in different codecs, page versions and encodings).
    static let script = #"""
    import glob, json, os, sys
    import pyarrow as pa, pyarrow.parquet as pq
    which, out, nrows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(f"{out}/parquet", exist_ok=True); os.makedirs(f"{out}/jsonl", exist_ok=True)
    files = sorted(glob.glob("/usr/lib/python3*/**/*.py", recursive=True))
    files = [f for f in files if 200 < os.path.getsize(f) < 60000][: nrows * 2 : 2]
    texts = [open(f, encoding="utf-8", errors="replace").read() for f in files]
    scripts = ["naïve café, ½ — “quoted” ✓", "日本語のテキスト、漢字と仮名。", "Ελληνικά και русский текст",
        "emoji 🎉🚀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]
    def rows(n, offset=0):
        out = []
        for i in range(n):
            k = (i + offset) % len(texts)
            text = None if i % 13 == 5 else texts[k] + ("\n# " + scripts[i % 4] if i % 3 == 0 else "")
            out.append({"id": f"doc-{offset + i}", "content": text,
                "lang": None if i % 7 == 2 else ["python", "c", "go"][i % 3],
                "max_stars_repo_path": files[k][5:], "size": len(texts[k]),
                "stars": None if i % 5 == 1 else i * 37 - 500,
                "avg": len(texts[k]) / 7.0, "ratio": float(i % 10) / 8.0, "flag": i % 2 == 0})
        return out
    schema = pa.schema([("id", pa.string()), ("content", pa.string()), ("lang", pa.string()),
        ("max_stars_repo_path", pa.string()), ("size", pa.int64()), ("stars", pa.int32()), ("avg", pa.float64()),
        ("ratio", pa.float32()), ("flag", pa.bool_())])
    def export(name, data):
        with open(f"{out}/jsonl/{name}.jsonl", "w", encoding="utf-8") as f:
            for r in data:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    def write(name, data, **options):
        pq.write_table(pa.Table.from_pylist(data, schema=schema), f"{out}/parquet/{name}.parquet", **options)
        export(name, data)
    if which == "small":
        write("small", rows(nrows), row_group_size=10, compression="snappy")
    elif which == "clean":
        write("small", [dict(r, content=r["content"] or "a text") for r in rows(nrows)], row_group_size=10,
            compression="snappy")
    elif which == "fuzz":
        short = [dict(r, content=r["content"] and r["content"][:300]) for r in rows(nrows)]
        write("fuzz_snappy_dict_v1", short, row_group_size=5, compression="snappy")
        write("fuzz_zstd_delta_v2", short, row_group_size=7, compression="zstd", use_dictionary=False,
            data_page_version="2.0", column_encoding={"content": "DELTA_BYTE_ARRAY", "size": "DELTA_BINARY_PACKED",
                "avg": "BYTE_STREAM_SPLIT", "lang": "DELTA_LENGTH_BYTE_ARRAY"})
        write("fuzz_gzip_dict_v2", short, row_group_size=6, compression="gzip", data_page_version="2.0")
    elif which == "stack":
        stack = []
        for i, r in enumerate(rows(nrows)):
            t = r["content"] or ""
            lines = t.split("\n") or [""]
            stack.append({"hexsha": format(abs(hash(t)) % 16**40, "040x"), "size": len(t.encode()), "ext": "py",
                "lang": "Python", "max_stars_repo_path": r["max_stars_repo_path"], "max_stars_repo_name": "cpython/lib",
                "content": r["content"], "avg_line_length": len(t) / len(lines),
                "max_line_length": max(len(l) for l in lines),
                "alphanum_fraction": sum(c.isalnum() for c in t) / max(1, len(t))})
        pq.write_table(pa.Table.from_pylist(stack), f"{out}/parquet/stack.parquet", compression="snappy",
            use_dictionary=True, row_group_size=25)
        export("stack", stack)
    else:
        data = rows(nrows)
        write("a_snappy_v1_dict", data, row_group_size=40, compression="snappy")
        write("b_zstd_v2_plain", rows(nrows, 3), row_group_size=10**6, compression="zstd", use_dictionary=False,
            data_page_version="2.0")
        write("c_gzip_v1_tiny_groups", rows(31, 5), row_group_size=3, compression="gzip")
        write("d_lz4raw_v2_dict", rows(nrows, 7), row_group_size=50, compression="lz4", data_page_version="2.0")
        write("e_none_small_pages", rows(nrows, 9), compression="none", data_page_size=2048, row_group_size=33)
        write("f_delta_encodings", rows(nrows, 11), use_dictionary=False, data_page_version="2.0", compression="snappy",
            column_encoding={"content": "DELTA_LENGTH_BYTE_ARRAY", "max_stars_repo_path": "DELTA_BYTE_ARRAY",
                "size": "DELTA_BINARY_PACKED", "stars": "DELTA_BINARY_PACKED", "avg": "BYTE_STREAM_SPLIT",
                "ratio": "BYTE_STREAM_SPLIT", "id": "DELTA_BYTE_ARRAY"})
        write("g_delta_byte_array_v1", rows(40, 13), use_dictionary=False, compression="zstd",
            column_encoding={"content": "DELTA_BYTE_ARRAY", "lang": "DELTA_LENGTH_BYTE_ARRAY"})
        table = pa.Table.from_pylist(rows(30, 15), schema=schema)
        with pq.ParquetWriter(f"{out}/parquet/h_empty_row_group.parquet", schema, compression="snappy") as w:
            w.write_table(table.slice(0, 12)); w.write_table(table.slice(0, 0)); w.write_table(table.slice(12))
        assert pq.ParquetFile(f"{out}/parquet/h_empty_row_group.parquet").metadata.row_group(1).num_rows == 0
        export("h_empty_row_group", rows(30, 15))
        write("i_zero_rows", [], compression="snappy")
        big, k = [], 0
        while sum(len(t) for t in big) < 20 << 20:
            big.append(texts[k % len(texts)]); k += 1
        huge = rows(4, 17)
        huge[1]["content"] = "\n".join(big)
        write("j_twenty_mb_value", huge, compression="zstd")
        mixed = [dict(r, content=scripts[i % 4] + "\n" + (r["content"] or "")) for i, r in enumerate(rows(60, 19))]
        write("k_non_ascii", mixed,
            compression="snappy", data_page_version="2.0")
        import duckdb
        db = duckdb.connect()
        duck = rows(nrows, 21)
        export("l_duckdb_zstd", duck)
        db.execute("CREATE TABLE t AS SELECT * FROM read_json(?, columns={'id': 'VARCHAR', 'content': 'VARCHAR', "
            "'lang': 'VARCHAR', 'max_stars_repo_path': 'VARCHAR', 'size': 'BIGINT', 'stars': 'INTEGER', "
            "'avg': 'DOUBLE', 'ratio': 'FLOAT', 'flag': 'BOOLEAN'}, format='newline_delimited')",
            [f"{out}/jsonl/l_duckdb_zstd.jsonl"])
        db.execute(f"COPY (SELECT * FROM t) TO '{out}/parquet/l_duckdb_zstd.parquet' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)")
        export("m_duckdb_snappy", duck)
        db.execute(f"COPY (SELECT * FROM t) TO '{out}/parquet/m_duckdb_snappy.parquet' "
            "(FORMAT parquet, COMPRESSION snappy)")
    """#
}

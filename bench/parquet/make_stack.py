#!/usr/bin/env python3
"""A The Stack-shaped Parquet file from REAL source files on this machine, and the same rows as
.jsonl.zst, for bench/parquet/run.sh.

Every row is one source file found on disk (Python, C/C++ headers and sources, Swift, Perl, Go,
Rust, shell), taken once per content (exact duplicates left out), valid UTF-8, at most 1 MiB,
until --mb megabytes of text. Columns as The Stack ships them: hexsha, size, ext, lang,
max_stars_repo_path, max_stars_repo_name, content, avg_line_length, max_line_length,
alphanum_fraction. Written by pyarrow with snappy and dictionary encoding (its defaults) in row
groups of --rows-per-group rows.

Outputs in --out: stack.parquet, stack.jsonl.zst (records {"content", "lang", "max_stars_repo_path"},
zstd level 3, frames of ~4 MB).
"""
import argparse, hashlib, json, os, sys
import pyarrow as pa, pyarrow.parquet as pq, zstandard

LANGS = {".py": "Python", ".h": "C", ".c": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++", ".swift": "Swift",
         ".pm": "Perl", ".pl": "Perl", ".go": "Go", ".rs": "Rust", ".sh": "Shell", ".js": "JavaScript"}
ROOTS = ["/usr/lib/python3", "/usr/lib/python3.11", "/root/.pyenv", "/usr/include", "/opt/swift", "/usr/share/perl",
         "/usr/lib/x86_64-linux-gnu/perl", "/usr/local/lib", "/usr/share", "/usr/lib/go", "/root/.cargo"]


def files():
    for root in ROOTS:
        for d, subdirs, names in os.walk(root):
            subdirs.sort()
            for n in sorted(names):
                ext = os.path.splitext(n)[1]
                if ext in LANGS:
                    yield os.path.join(d, n), ext


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/work/bench-data/parquet")
    ap.add_argument("--mb", type=float, default=200)
    ap.add_argument("--rows-per-group", type=int, default=20000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    seen, rows, total = set(), [], 0
    for path, ext in files():
        try:
            if os.path.islink(path) or not (0 < os.path.getsize(path) <= 1 << 20):
                continue
            raw = open(path, "rb").read()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        digest = hashlib.sha1(raw).hexdigest()
        if digest in seen or "\0" in text:
            continue
        seen.add(digest)
        lines = text.split("\n")
        rows.append({"hexsha": digest, "size": len(raw), "ext": ext[1:], "lang": LANGS[ext],
                     "max_stars_repo_path": path.lstrip("/"), "max_stars_repo_name": "/".join(path.split("/")[1:4]),
                     "content": text, "avg_line_length": len(text) / len(lines),
                     "max_line_length": max(len(l) for l in lines),
                     "alphanum_fraction": sum(c.isalnum() for c in text) / len(text)})
        total += len(raw)
        if total >= a.mb * 1e6:
            break
    pq.write_table(pa.Table.from_pylist(rows), os.path.join(a.out, "stack.parquet"), compression="snappy",
                   row_group_size=a.rows_per_group)
    compressor = zstandard.ZstdCompressor(level=3)
    with open(os.path.join(a.out, "stack.jsonl.zst"), "wb") as f:
        chunk = []
        for r in rows:
            chunk.append(json.dumps({"content": r["content"], "lang": r["lang"],
                                     "max_stars_repo_path": r["max_stars_repo_path"]}, ensure_ascii=False) + "\n")
            if sum(map(len, chunk)) > 4 << 20:
                f.write(compressor.compress("".join(chunk).encode()))
                chunk = []
        if chunk:
            f.write(compressor.compress("".join(chunk).encode()))
    print(json.dumps({"rows": len(rows), "text_bytes": total,
                      "parquet_bytes": os.path.getsize(os.path.join(a.out, "stack.parquet"))}))


if __name__ == "__main__":
    sys.exit(main())

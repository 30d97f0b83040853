#!/usr/bin/env python3
"""Assemble the ingest benchmark corpus from REAL text and code already on this machine.

Nothing is generated: every document is the content of one file found on disk (Python and
other package documentation, man pages, READMEs and changelogs; Python, C/C++, Swift and Perl
sources). Exact duplicate files (the same bytes installed twice, e.g. Debian's and pyenv's
copies of the standard library) are taken once.

Outputs, in --out (default /work/bench-data/corpus-x<scale>):
  jsonl/part-NNNNN.jsonl.zst   RedPajama-style records {"text": ..., "meta": {"source", "path"}}
                               (zstd level 3), --shards x --scale shards of equal text bytes.
  txt/part-NNNNN.txt           the SAME document texts, each written as it is (its own
                               newlines kept) followed by one "\n": the input of spm_encode.
                               spm_encode encodes line by line, so it sees exactly the same
                               bytes (plus one newline a document); the JSON escaping is the
                               only thing the JSONL readers have to undo on top.
  halves.json                  the shards split into two halves of near-equal text bytes (for
                               the two-process baselines).
  corpus.json                  counts and bytes per category.

Order is deterministic: candidate files are sorted per category, and categories are
interleaved by bytes according to their weights (prose : code ~ 1 : 2 while prose lasts), so
that a prefix of the stream is a fair mix. --scale 2 takes a prefix twice as long: the doubled
corpus contains the normal one plus as much new, different real text again.

Documents that are not valid UTF-8, contain NUL bytes, are empty, or are larger than
--max-doc-kb (default 1024 KiB) are left out, so the three tokenizing tools compare on the
same documents (moe-data would cut longer ones at 1 MiB anyway; pip sentencepiece would
encode them whole).
"""
import argparse
import gzip
import hashlib
import json
import os
import sys

import zstandard

PYENV = "/root/.pyenv/versions/3.11.7/lib/python3.11"

# (category, weight, [(root, suffixes)], is_prose)
CATEGORIES = [
    ("python-docs", 1.0, [("/usr/share/doc/python3.11/html/_sources", (".rst.txt",))]),
    ("debian-docs", 1.0, [("/usr/share/doc", (".txt", ".md", ".rst", "README", "NEWS", "changelog", "changelog.Debian",
                                              ".txt.gz", ".md.gz", ".rst.gz", "README.gz", "NEWS.gz", "changelog.gz",
                                              "changelog.Debian.gz", "copyright"))]),
    ("man-pages", 1.0, [("/usr/share/man", (".gz",))]),
    ("package-docs", 1.0, [(PYENV + "/site-packages", (".md", ".rst", "METADATA", "README", "README.txt")),
                           ("/opt/swift", (".md",))]),
    ("code-python", 2.0, [(PYENV, (".py",)), ("/usr/lib/python3.11", (".py",))]),
    ("code-c", 1.5, [("/usr/include", (".h", ".hpp", ".hh", ".inc")),
                     (PYENV + "/site-packages", (".c", ".h", ".cpp", ".hpp", ".cc", ".cuh", ".pyi"))]),
    ("code-other", 0.5, [("/opt/swift", (".swift", ".swiftinterface", ".def")),
                         ("/usr/share/perl", (".pm", ".pl", ".pod")),
                         ("/usr/lib/x86_64-linux-gnu/perl", (".pm", ".pl", ".pod"))]),
]


def candidates(roots):
    """Sorted paths under the roots whose names end with one of the suffixes."""
    out = []
    for root, suffixes in roots:
        if os.path.isfile(root):
            out.append(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(suffixes):
                    p = os.path.join(dirpath, name)
                    if os.path.isfile(p) and not os.path.islink(p):
                        out.append(p)
    return out


def read_text(path, max_bytes):
    try:
        if os.path.getsize(path) > max_bytes * 4:
            return None
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    if not data or len(data) > max_bytes or b"\0" in data or not data.strip():
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def stream(max_doc, seen):
    """Yields (category, path, text) interleaving categories by bytes/weight."""
    iters = []
    for name, weight, roots in CATEGORIES:
        iters.append([name, weight, iter(candidates(roots)), 0])
    while iters:
        # The category that is furthest behind its share goes next (ties: list order).
        cat = min(iters, key=lambda c: c[3] / c[1])
        for path in cat[2]:
            text = read_text(path, max_doc)
            if text is None:
                continue
            digest = hashlib.sha1(text.encode("utf-8")).digest()
            if digest in seen:
                continue
            seen.add(digest)
            cat[3] += len(text.encode("utf-8"))
            yield cat[0], path, text
            break
        else:
            iters.remove(cat)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None)
    ap.add_argument("--work", default=os.environ.get("BENCH_WORK", "/work/bench-data"))
    ap.add_argument("--mb", type=float, default=210.0, help="text megabytes (1e6) at scale 1")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--shards", type=int, default=16,
                    help="shards at scale 1 (times --scale); equal in text bytes, so the two halves are equal too")
    ap.add_argument("--max-doc-kb", type=int, default=1024)
    args = ap.parse_args()
    out = args.out or os.path.join(args.work, f"corpus-x{args.scale}")
    target = int(args.mb * 1e6 * args.scale)
    shard_target = -(-target // (args.shards * args.scale))
    os.makedirs(os.path.join(out, "jsonl"), exist_ok=True)
    os.makedirs(os.path.join(out, "txt"), exist_ok=True)

    cctx = zstandard.ZstdCompressor(level=3)
    stats = {}
    shards = []
    total = 0
    shard_no = -1
    jf = tf = zw = None
    shard_bytes = shard_target

    def close():
        if zw is not None:
            zw.close()
            jf.close()
            tf.close()

    largest = over_1mb = 0
    for cat, path, text in stream(args.max_doc_kb * 1024, set()):
        if shard_bytes >= shard_target:
            close()
            shard_no += 1
            base = f"part-{shard_no:05d}"
            jf = open(os.path.join(out, "jsonl", base + ".jsonl.zst"), "wb")
            zw = cctx.stream_writer(jf, closefd=False)
            tf = open(os.path.join(out, "txt", base + ".txt"), "wb")
            shards.append({"name": base, "text_bytes": 0, "documents": 0})
            shard_bytes = 0
        raw = text.encode("utf-8")
        record = {"text": text, "meta": {"source": cat, "path": path}}
        zw.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
        tf.write(raw + b"\n")
        n = len(raw)
        largest = max(largest, n)
        over_1mb += n > 1 << 20
        shard_bytes += n
        total += n
        shards[-1]["text_bytes"] += n
        shards[-1]["documents"] += 1
        s = stats.setdefault(cat, {"documents": 0, "bytes": 0})
        s["documents"] += 1
        s["bytes"] += n
        if total >= target:
            break
    close()
    if total < target:
        print(f"warning: only {total / 1e6:.1f} MB of real text found (wanted {target / 1e6:.1f})", file=sys.stderr)

    # Two halves of near-equal bytes: largest shards first, each to the lighter half.
    halves = [[], []]
    weight = [0, 0]
    for sh in sorted(shards, key=lambda s: (-s["text_bytes"], s["name"])):
        k = 0 if weight[0] <= weight[1] else 1
        halves[k].append(sh["name"])
        weight[k] += sh["text_bytes"]
    with open(os.path.join(out, "halves.json"), "w") as f:
        json.dump({"halves": [sorted(h) for h in halves], "text_bytes": weight}, f, indent=1)
    summary = {"text_bytes": total, "documents": sum(s["documents"] for s in shards), "shards": len(shards),
               "categories": stats, "scale": args.scale, "max_doc_kb": args.max_doc_kb,
               "max_doc_bytes": largest, "documents_over_1mib": over_1mb}
    with open(os.path.join(out, "corpus.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Two code sources that overlap as RedPajama's GitHub subset and The Stack do, from REAL files.

OpenMoE mixes The Stack Dedup with RedPajama's GitHub subset; both were crawled from GitHub, so the
same files (and slightly different versions of them) are in both. This machine holds the same kind of
overlap: two installations of the same software, made independently.

  github     (RedPajama-style records: {"text", "meta": {"repo_name", "path", "language", "source"}})
             every code file of pyenv's CPython 3.11.7: its standard library and site-packages (.py,
             .pyi, .c, .h, .cpp, .hpp) and its C headers
  the_stack  (Stack-style records: {"content", "max_stars_repo_path", "lang", "size"})
             every code file of Debian's packages: CPython 3.11.2's standard library, Debian's
             dist-packages, /usr/include's headers and Perl's modules

Nothing is generated and nothing is deduplicated here: what the two sources share is what the two
installations share (the same standard library at two patch releases, the same C headers, packages
installed both by pip and by apt). Files that are not UTF-8, hold a NUL byte, are empty or larger than
1 MiB are left out (as the benchmark corpus does).

  python3 overlap.py OUT      writes OUT/github/part-NNNNN.jsonl.zst, OUT/the_stack/part-NNNNN.jsonl.zst
                              (16 MB of text a part) and OUT/overlap.json (files and bytes per source)
"""
import json
import os
import sys

import zstandard

PYENV = "/root/.pyenv/versions/3.11.7"
CODE = (".py", ".pyi", ".c", ".h", ".cpp", ".hpp", ".cc", ".hh", ".pm", ".pl")
SOURCES = {
    "github": [f"{PYENV}/lib/python3.11", f"{PYENV}/include"],
    "the_stack": ["/usr/lib/python3.11", "/usr/lib/python3/dist-packages", "/usr/include", "/usr/share/perl",
                  "/usr/lib/x86_64-linux-gnu/perl"],
}
LANGUAGES = {".py": "Python", ".pyi": "Python", ".c": "C", ".h": "C", ".cpp": "C++", ".hpp": "C++",
             ".cc": "C++", ".hh": "C++", ".pm": "Perl", ".pl": "Perl"}
PART_BYTES = 16_000_000


def files(roots):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if name.endswith(CODE) and os.path.isfile(path) and not os.path.islink(path):
                    yield root, path


def text_of(path):
    try:
        if os.path.getsize(path) > 1 << 20:
            return None
        data = open(path, "rb").read()
    except OSError:
        return None
    if not data.strip() or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def record(source, root, path, text):
    relative = os.path.relpath(path, os.path.dirname(root))
    language = LANGUAGES[os.path.splitext(path)[1]]
    if source == "github":
        return {"text": text, "meta": {"repo_name": os.path.basename(root), "path": relative,
                                       "language": language, "source": "github"}}
    return {"content": text, "max_stars_repo_path": relative, "lang": language, "size": len(text.encode())}


def main():
    out = sys.argv[1]
    summary = {}
    compressor = zstandard.ZstdCompressor(level=3)
    for source, roots in SOURCES.items():
        os.makedirs(f"{out}/{source}", exist_ok=True)
        part, part_bytes, count, total = 0, 0, 0, 0
        sink = None
        for root, path in files(roots):
            text = text_of(path)
            if text is None:
                continue
            if sink is None or part_bytes >= PART_BYTES:
                if sink is not None:
                    sink.close()
                sink = compressor.stream_writer(open(f"{out}/{source}/part-{part:05d}.jsonl.zst", "wb"))
                part, part_bytes = part + 1, 0
            line = (json.dumps(record(source, root, path, text)) + "\n").encode()
            sink.write(line)
            part_bytes += len(text.encode())
            count += 1
            total += len(text.encode())
        if sink is not None:
            sink.close()
        summary[source] = {"files": count, "text_bytes": total, "parts": part}
    json.dump(summary, open(f"{out}/overlap.json", "w"), indent=1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

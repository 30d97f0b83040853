#!/usr/bin/env bash
# Sourced by the benchmarks that ingest the real-text corpus (bench/ingest/run.sh, bench/slurm/run.sh):
# makes, once, the corpora of bench/ingest/make_corpus.py and a SentencePiece unigram 32k model trained
# on a ~20 MB sample of them. Needs WORK (the work folder), HERE_INGEST (this folder), MB (text
# megabytes at scale 1), SKIP_DOUBLE (1: no doubled corpus) and a `log` function. Sets C1 and MODEL.
# shellcheck source=bench/ingest/manifest.sh source-path=SCRIPTDIR/../..
source "$HERE_INGEST/manifest.sh"

# 2. Corpora (cached: delete the folder to rebuild).
for scale in 1 2; do
  [ "$scale" = 2 ] && [ "$SKIP_DOUBLE" = 1 ] && continue
  if [ ! -f "$WORK/corpus-x$scale/corpus.json" ]; then
    log "making corpus x$scale"
    python3 "$HERE_INGEST/make_corpus.py" --work "$WORK" --mb "$MB" --scale "$scale" > "$WORK/make-x$scale.log"
  fi
done
C1="$WORK/corpus-x1"

# 3. SentencePiece unigram 32k, trained on a ~20 MB sample of the corpus (cached).
MODEL="$WORK/spm/unigram32k.model"
if [ ! -f "$MODEL" ]; then
  mkdir -p "$WORK/spm"
  log "sampling ~20 MB and training unigram 32k"
  python3 - "$C1" "$WORK/spm/sample.txt" <<'EOF'
import json, sys, os, io, zstandard
corpus, out = sys.argv[1], sys.argv[2]
total = json.load(open(os.path.join(corpus, "corpus.json")))["text_bytes"]
every = max(1, round(total / 20e6))      # every k-th document: a sample spread over the whole corpus
n = taken = 0
with open(out, "wb") as o:
    for name in sorted(os.listdir(os.path.join(corpus, "jsonl"))):
        with open(os.path.join(corpus, "jsonl", name), "rb") as f:
            for line in io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(f)):
                if n % every == 0:
                    t = json.loads(line)["text"].encode("utf-8")
                    o.write(t + b"\n"); taken += len(t)
                n += 1
print(f"sample: {taken/1e6:.1f} MB, every {every}th document", file=sys.stderr)
EOF
  /usr/bin/time -v -o "$WORK/spm/train.time" spm_train --input="$WORK/spm/sample.txt" \
    --model_prefix="$WORK/spm/unigram32k" --model_type=unigram --vocab_size=32000 \
    --character_coverage=0.9995 --num_threads=2 --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 \
    > "$WORK/spm/train.log" 2>&1
fi


#!/usr/bin/env python3
"""Makes, once, the inputs of the tokenizer.json benchmarks (in the work folder, never the repository):

  sample.txt     every k-th document of the ingest corpus (~20 MB), for training
  lines.txt      the non-empty lines of another ~20 MB of documents: the texts the encoders time
  <kind>.json    byte-level BPE tokenizer.json files trained by Python's tokenizers on sample.txt:
                 gpt2   ByteLevel (GPT-2's regex), 50,257 ids, <|endoftext|> (GPT-2, GPT-NeoX, OLMo)
                 llama3 Split with Llama 3's regex + ByteLevel, ignore_merges, 128,000 ids + specials
"""
import argparse
import io
import json
import os
import sys

import zstandard
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def documents(corpus):
    for name in sorted(os.listdir(os.path.join(corpus, "jsonl"))):
        with open(os.path.join(corpus, "jsonl", name), "rb") as f:
            for line in io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(f)):
                yield json.loads(line)["text"]


def samples(corpus, work, mb):
    total = json.load(open(os.path.join(corpus, "corpus.json")))["text_bytes"]
    every = max(2, round(total / (mb * 1e6)))
    taken = timed = 0
    with open(os.path.join(work, "sample.txt"), "w", encoding="utf-8") as train, \
            open(os.path.join(work, "lines.txt"), "w", encoding="utf-8") as lines:
        for n, text in enumerate(documents(corpus)):
            if n % every == 0:
                train.write(text + "\n")
                taken += len(text.encode())
            elif n % every == 1 and timed < mb * 1e6:
                for line in text.split("\n"):
                    if line.strip():
                        lines.write(line + "\n")
                        timed += len(line.encode()) + 1
    print(f"sample {taken / 1e6:.1f} MB, lines {timed / 1e6:.1f} MB (every {every}th document)", file=sys.stderr)


def train(work, kind):
    llama = kind == "llama3"
    tok = Tokenizer(models.BPE(ignore_merges=llama))
    if llama:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        specials = ["<|begin_of_text|>", "<|end_of_text|>"]
        specials += [f"<|reserved_special_token_{i}|>" for i in range(254)]
        vocab = 128000
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        specials = ["<|endoftext|>"]
        vocab = 50257
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=[] if llama else specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train([os.path.join(work, "sample.txt")], trainer)
    if llama:
        tok.add_special_tokens(specials)   # after the vocabulary, as Llama 3's
        tok.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A",
            special_tokens=[("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))])
    tok.save(os.path.join(work, f"{kind}.json"))
    print(f"{kind}: {tok.get_vocab_size()} ids", file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--mb", type=float, default=20)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if not os.path.exists(os.path.join(a.work, "lines.txt")):
        samples(a.corpus, a.work, a.mb)
    for kind in ("gpt2", "llama3"):
        if not os.path.exists(os.path.join(a.work, f"{kind}.json")):
            train(a.work, kind)


if __name__ == "__main__":
    main()

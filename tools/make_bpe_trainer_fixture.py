#!/usr/bin/python3
"""Writes tests/fixtures/tokenizers/trainer/: a few KB of Reuters-21578 article text and the
merges that tools/bpe_reference.py learns from it, pre-tokenizing as Llama 3 does, for the C#
trainer (BpeTrainer) to agree with.

  /usr/bin/python3 tools/make_bpe_trainer_fixture.py

corpus.txt holds one article body per document, documents separated by a blank line (the
format `fedprompt tokenizer train --corpus FILE.txt` reads); the reference trains on the same
documents. Byte-identical on rerun. Reuters, never the Financial PhraseBank (the evaluation data).
"""
import gzip
import html
import json
import os
import re

import bpe_reference

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "trainer")
REUTERS = os.path.join(ROOT, "data", "reuters21578", "reut2-001.sgm.gz")
CORPUS_CHARS = 6000
# 256 bytes + 444 learned: far enough that most merges are of pairs seen two or three times,
# where the tie-breaking rule decides.
LEARNED_TOKENS = 700


def documents():
    """Article bodies, blank and trailing white space dropped, about CORPUS_CHARS characters in all."""
    with gzip.open(REUTERS) as f:
        raw = f.read().decode("latin-1")
    found, size = [], 0
    for body in re.findall(r"<BODY>(.*?)</BODY>", raw, re.S):
        lines = [line.rstrip() for line in html.unescape(body).replace("\x03", "").split("\n")]
        document = "\n".join(line for line in lines if line.strip())
        if size + len(document) > CORPUS_CHARS:
            break
        found.append(document)
        size += len(document)
    return found


def main():
    docs = documents()
    # bpe_reference keeps one id for its <|endoftext|>, so LEARNED_TOKENS + 1 leaves LEARNED_TOKENS learned.
    vocab, merges = bpe_reference.train(docs, vocab_size=LEARNED_TOKENS + 1, pattern=bpe_reference.LLAMA3_PRETOKEN)
    del vocab[bpe_reference.EOT]
    tokens = sorted(vocab, key=vocab.get)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "corpus.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n\n".join(docs) + "\n")
    expected = {"learned_tokens": len(tokens), "min_count": 1, "tokens": tokens, "merges": [list(m) for m in merges]}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(docs)} documents, {sum(map(len, docs))} characters, {len(merges)} merges -> {OUT}")


if __name__ == "__main__":
    main()

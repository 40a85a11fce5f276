#!/usr/bin/python3
"""GPT-2 byte-level BPE, written independently of any tokenizer library.

Training writes vocab.json / merges.txt in the GPT-2 file formats; encoding and
decoding follow OpenAI's original encoder.py algorithm (byte -> unicode table,
regex pre-tokenization, lowest-rank merge first).

  tools/bpe_reference.py train [CORPUS] --out DIR
  tools/bpe_reference.py encode --model DIR "some text"
  tools/bpe_reference.py decode --model DIR 12 34 56
"""
import argparse
import collections
import json
import os

import regex

DEFAULT_CORPUS = "/work/shared/data/financial_phrasebank/Sentences_AllAgree.txt"
EOT = "<|endoftext|>"
VOCAB_SIZE = 1000  # 256 bytes + 743 merges + EOT
PRETOKEN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
# Llama 3's Split regex, as FedPrompt's C# trainer (BpeTrainer) pre-tokenizes; verbatim from Llama 3's tokenizer.json.
# Every character is in some match of it, so findall's pieces are Split's (Isolated) pieces.
LLAMA3_PRETOKEN = regex.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def byte_alphabet():
    """The GPT-2 byte -> printable character table, in GPT-2's id order.

    Printable Latin-1 bytes stand for themselves; the others (control chars,
    space, 0x7f-0xa0, soft hyphen) are shifted to U+0100 and up so that every
    token is a visible string in vocab.json.
    """
    kept = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {b: chr(b) for b in kept}
    shifted = [b for b in range(256) if b not in table]
    table.update({b: chr(256 + n) for n, b in enumerate(shifted)})
    return {b: table[b] for b in kept + shifted}


BYTE_TO_CHAR = byte_alphabet()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def pretokens(text, pattern=PRETOKEN):
    """Regex pieces of text, each spelled in the byte alphabet."""
    return ["".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8")) for piece in pattern.findall(text)]


def read_corpus(path):
    with open(path, encoding="iso-8859-1") as f:
        return [line.rstrip("\n").rsplit("@", 1)[0] for line in f]


def train(texts, vocab_size=VOCAB_SIZE, pattern=PRETOKEN):
    """Greedy BPE: repeatedly merge the most frequent adjacent pair.

    Pairs never cross pre-token boundaries. Ties go to the lexicographically
    smallest pair so the result does not depend on dict ordering.
    Returns (vocab, merges).
    """
    word_counts = collections.Counter(p for t in texts for p in pretokens(t, pattern))
    words = [list(w) for w in word_counts]
    freqs = list(word_counts.values())
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)  # pair -> indices of words containing it
    for i, w in enumerate(words):
        for pair in zip(w, w[1:]):
            pair_counts[pair] += freqs[i]
            where[pair].add(i)

    vocab = {c: i for i, c in enumerate(BYTE_TO_CHAR.values())}
    merges = []
    while len(vocab) < vocab_size - 1 and pair_counts:
        best = min(pair_counts, key=lambda p: (-pair_counts[p], p))
        merges.append(best)
        vocab.setdefault(best[0] + best[1], len(vocab))
        for i in sorted(where.pop(best)):
            w = words[i]
            for pair in zip(w, w[1:]):
                pair_counts[pair] -= freqs[i]
                if pair_counts[pair] == 0:
                    del pair_counts[pair]
            words[i] = w = merge_pair(w, best)
            for pair in zip(w, w[1:]):
                pair_counts[pair] += freqs[i]
                where[pair].add(i)
    vocab[EOT] = len(vocab)
    return vocab, merges


def merge_pair(symbols, pair):
    out = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def save(vocab, merges, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="ascii") as f:
        json.dump(vocab, f)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        f.writelines(f"{a} {b}\n" for a, b in merges)


class Tokenizer:
    def __init__(self, vocab_path, merges_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = json.load(f)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        with open(merges_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        pairs = [tuple(line.split(" ")) for line in lines[1:] if line]
        self.ranks = {p: r for r, p in enumerate(pairs)}
        self.cache = {}

    @classmethod
    def from_dir(cls, model_dir):
        return cls(os.path.join(model_dir, "vocab.json"), os.path.join(model_dir, "merges.txt"))

    def bpe(self, piece):
        if piece not in self.cache:
            symbols = list(piece)
            while len(symbols) > 1:
                pair = min(zip(symbols, symbols[1:]), key=lambda p: self.ranks.get(p, float("inf")))
                if pair not in self.ranks:
                    break
                symbols = merge_pair(symbols, pair)
            self.cache[piece] = symbols
        return self.cache[piece]

    def encode(self, text):
        return [self.vocab[s] for piece in pretokens(text) for s in self.bpe(piece)]

    def decode(self, ids):
        chars = "".join(self.id_to_token[i] for i in ids)
        return bytes(CHAR_TO_BYTE[c] for c in chars).decode("utf-8", errors="replace")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train")
    p.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS)
    p.add_argument("--out", required=True)
    for name in ("encode", "decode"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True, help="directory with vocab.json and merges.txt")
        p.add_argument("input", nargs="+")
    args = parser.parse_args()

    if args.command == "train":
        vocab, merges = train(read_corpus(args.corpus))
        save(vocab, merges, args.out)
        print(f"{len(vocab)} tokens, {len(merges)} merges -> {args.out}")
    elif args.command == "encode":
        print(json.dumps(Tokenizer.from_dir(args.model).encode(" ".join(args.input))))
    else:
        print(Tokenizer.from_dir(args.model).decode([int(i) for i in args.input]))


if __name__ == "__main__":
    main()

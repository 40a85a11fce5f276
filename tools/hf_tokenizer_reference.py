#!/usr/bin/python3
"""Hugging Face `tokenizer.json` byte-level BPE (Llama 3 / Qwen 2 / Qwen 3 style), written from the
tokenizers library's documented behaviour without using it, plus a small trainer for test vocabularies.

Covers exactly what those checkpoints use:
  added_tokens       matched in the raw text first (leftmost, then longest), never normalized or split
  normalizer         null or {"type": "NFC"} (Qwen)
  pre_tokenizer      Sequence[Split(Regex, behavior Isolated, invert false), ByteLevel(use_regex false)]
  model              BPE over the GPT-2 byte alphabet, merges as "a b" strings or [["a", "b"], ...] pairs,
                     ignore_merges, no dropout, no unk (every byte is in the vocab)
  post_processor     TemplateProcessing (Llama 3: BOS then the sequence; may sit inside a Sequence with a
                     ByteLevel processor, which does not change ids) or ByteLevel alone (Qwen: no special tokens)
  decoder            ByteLevel: token strings back to bytes, UTF-8 with U+FFFD for invalid sequences

  tools/hf_tokenizer_reference.py encode FILE "some text" [--special]
  tools/hf_tokenizer_reference.py decode FILE 12 34 56
"""
import argparse
import collections
import json
import unicodedata

import regex

# The Split regexes of the real tokenizer.json files (Llama 3 groups digits by up to three, Qwen 2 by one).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def byte_alphabet():
    """GPT-2's byte -> printable character table, in GPT-2's id order (printable bytes first,
    the others shifted to U+0100.. in byte order, e.g. space -> 'Ġ', newline -> 'Ċ')."""
    kept = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {b: chr(b) for b in kept}
    shifted = [b for b in range(256) if b not in table]
    table.update({b: chr(256 + n) for n, b in enumerate(shifted)})
    return {b: table[b] for b in kept + shifted}


BYTE_TO_CHAR = byte_alphabet()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def to_byte_chars(piece):
    return "".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))


def split_isolated(pattern, text):
    """Split(behavior Isolated, invert false): every match is a piece and so is every gap between matches."""
    pieces, pos = [], 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            pieces.append(text[pos:m.start()])
        if m.end() > m.start():
            pieces.append(m.group())
        pos = m.end()
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces


def bpe(word, ranks):
    """Lowest-rank adjacent pair first, all its non-overlapping occurrences left to right, until none is mergeable."""
    parts = list(word)
    while len(parts) > 1:
        best = min(((ranks[p], i) for i, p in enumerate(zip(parts, parts[1:])) if p in ranks), default=None)
        if best is None:
            break
        pair = (parts[best[1]], parts[best[1] + 1])
        merged, i = [], 0
        while i < len(parts):
            if i + 1 < len(parts) and (parts[i], parts[i + 1]) == pair:
                merged.append(parts[i] + parts[i + 1])
                i += 2
            else:
                merged.append(parts[i])
                i += 1
        parts = merged
    return parts


class Tokenizer:
    def __init__(self, spec):
        self.spec = spec
        model = spec["model"]
        assert model["type"] == "BPE" and not model.get("dropout") and not model.get("continuing_subword_prefix")
        assert not model.get("end_of_word_suffix") and not model.get("byte_fallback")
        self.vocab = model["vocab"]
        self.ignore_merges = model.get("ignore_merges", False)
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        assert all(len(m) == 2 for m in merges)
        self.ranks = {m: r for r, m in enumerate(merges)}
        for a, b in merges:
            assert a + b in self.vocab, (a, b)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.added = {t["content"]: t["id"] for t in spec.get("added_tokens", [])}
        for t in spec.get("added_tokens", []):
            assert not t.get("lstrip") and not t.get("rstrip") and not t.get("single_word") and not t["normalized"]
            self.id_to_token[t["id"]] = t["content"]

        normalizer = spec.get("normalizer")
        assert normalizer is None or normalizer == {"type": "NFC"}, normalizer
        self.nfc = normalizer is not None

        pre = spec["pre_tokenizer"]
        assert pre["type"] == "Sequence" and len(pre["pretokenizers"]) == 2
        split, byte_level = pre["pretokenizers"]
        assert split["type"] == "Split" and split["behavior"] == "Isolated" and not split["invert"]
        assert byte_level["type"] == "ByteLevel" and not byte_level["use_regex"] and not byte_level["add_prefix_space"]
        self.pattern = regex.compile(split["pattern"]["Regex"])

        self.prefix = []  # ids the post-processor puts before the sequence
        post = spec.get("post_processor")
        processors = post["processors"] if post and post["type"] == "Sequence" else [post] if post else []
        for p in processors:
            if p["type"] == "TemplateProcessing":
                single = p["single"]
                assert "Sequence" in single[-1] and all("SpecialToken" in s for s in single[:-1]), single
                for s in single[:-1]:
                    self.prefix += p["special_tokens"][s["SpecialToken"]["id"]]["ids"]
            else:
                assert p["type"] == "ByteLevel", p

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    def split_added(self, text):
        """(segment, is_added_token) in order: added tokens found leftmost-first, longest at a position."""
        out, pos, start = [], 0, 0
        while pos < len(text):
            hit = max((c for c in self.added if text.startswith(c, pos)), key=len, default=None)
            if hit is None:
                pos += 1
                continue
            if pos > start:
                out.append((text[start:pos], False))
            out.append((hit, True))
            pos += len(hit)
            start = pos
        if start < len(text):
            out.append((text[start:], False))
        return out

    def encode_ordinary(self, text):
        if self.nfc:
            text = unicodedata.normalize("NFC", text)
        ids = []
        for piece in split_isolated(self.pattern, text):
            word = to_byte_chars(piece)
            if self.ignore_merges and word in self.vocab:
                ids.append(self.vocab[word])
            else:
                ids.extend(self.vocab[t] for t in bpe(word, self.ranks))
        return ids

    def encode(self, text, add_special_tokens=False):
        ids = []
        for segment, is_added in self.split_added(text):
            ids.extend([self.added[segment]] if is_added else self.encode_ordinary(segment))
        return (self.prefix if add_special_tokens else []) + ids

    def decode(self, ids):
        """skip_special_tokens=False: added tokens come back as their text."""
        out, pending = [], bytearray()
        for i in ids:
            token = self.id_to_token[i]
            if i in self.added.values() and token in self.added:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
                out.append(token)
            else:
                pending.extend(CHAR_TO_BYTE[c] for c in token)
        out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)


def train(text, pattern, vocab_size):
    """Greedy BPE on the pre-tokenized text: repeatedly merge the most frequent adjacent pair (ties: the
    lexicographically smallest pair), never across pre-token boundaries, until the vocab (256 byte symbols
    plus merge results) has vocab_size entries. Returns (vocab {token: id}, merges [(a, b)])."""
    counts = collections.Counter(to_byte_chars(p) for p in split_isolated(regex.compile(pattern), text))
    words = [list(w) for w in counts]
    freqs = list(counts.values())
    vocab = {c: i for i, c in enumerate(BYTE_TO_CHAR.values())}
    merges = []
    while len(vocab) < vocab_size:
        pairs = collections.Counter()
        for w, f in zip(words, freqs):
            for pair in zip(w, w[1:]):
                pairs[pair] += f
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        vocab.setdefault(best[0] + best[1], len(vocab))
        for n, w in enumerate(words):
            merged, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    merged.append(w[i] + w[i + 1])
                    i += 2
                else:
                    merged.append(w[i])
                    i += 1
            words[n] = merged
    return vocab, merges


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    enc = sub.add_parser("encode")
    enc.add_argument("file")
    enc.add_argument("text")
    enc.add_argument("--special", action="store_true", help="apply the post-processor (BOS for Llama 3)")
    dec = sub.add_parser("decode")
    dec.add_argument("file")
    dec.add_argument("ids", type=int, nargs="+")
    args = parser.parse_args()
    tokenizer = Tokenizer.from_file(args.file)
    if args.command == "encode":
        print(json.dumps(tokenizer.encode(args.text, add_special_tokens=args.special)))
    else:
        print(tokenizer.decode(args.ids))


if __name__ == "__main__":
    main()

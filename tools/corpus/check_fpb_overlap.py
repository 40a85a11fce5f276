#!/usr/bin/env python3
"""Check that no Financial PhraseBank sentence occurs in the extracted corpora.

FPB files: '@'-separated "sentence@label" lines, Latin-1 (README of the release). All four
agreement files are read (50Agree is a superset of the others); duplicates are merged.
Normalisation on both sides: NFKC, lower case, every run of non-alphanumeric characters -> one
space (FPB is tokenised "Russia , although", the corpora are not).
Checks, per corpus file:
  1. verbatim: the whole normalised sentence is a substring of the normalised corpus
     (exact test for every sentence). Sentences of fewer than MIN_WORDS words ("Welcome !",
     "It 's not .") match ordinary English anywhere; they are counted separately as trivial;
  2. 8-gram overlap: sentences sharing at least one word 8-gram with the corpus (near-copies,
     partial quotes), with the shared 8-grams listed for inspection.
Usage: python3 check_fpb_overlap.py [FPB_DIR] [CORPUS_TXT ...]
"""
import glob, os, re, sys, unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
FPB_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "financial_phrasebank")
SKIP = re.compile(r"^(debian-copyright|LICENSE|NOTICE|README|package\.json|sword-module-confs|COPYING)")
FILES = sys.argv[2:] or sorted(f for f in glob.glob(os.path.join(HERE, "*", "*.txt"))
                               if "/_pkgs/" not in f and not SKIP.match(os.path.basename(f)))
N = 8
MIN_WORDS = 5


def norm(s):
    s = unicodedata.normalize("NFKC", s).lower()
    return re.sub(r"[^0-9a-z]+", " ", s).strip()


def main():
    sents = set()
    for fn in sorted(glob.glob(os.path.join(FPB_DIR, "Sentences_*.txt"))):
        for line in open(fn, encoding="latin-1"):
            line = line.strip()
            if "@" in line:
                sents.add(line.rsplit("@", 1)[0].strip())
    normed = {s: norm(s) for s in sents}
    grams = {}
    for s, n in normed.items():
        w = n.split()
        for i in range(len(w) - N + 1):
            grams.setdefault(" ".join(w[i:i + N]), set()).add(s)
    print(f"FPB: {len(sents)} distinct sentences from {FPB_DIR}; {len(grams)} distinct {N}-grams")
    total_verbatim = 0
    for fn in FILES:
        text = " " + norm(open(fn, encoding="utf-8").read()) + " "
        found = [s for s, n in normed.items() if n and (" " + n + " ") in text]
        verbatim = [s for s in found if len(normed[s].split()) >= MIN_WORDS]
        trivial = [s for s in found if len(normed[s].split()) < MIN_WORDS]
        w = text.split()
        hit = {}
        for i in range(len(w) - N + 1):
            g = " ".join(w[i:i + N])
            if g in grams:
                hit.setdefault(g, 0)
                hit[g] += 1
        sent_hits = set().union(*(grams[g] for g in hit)) if hit else set()
        total_verbatim += len(verbatim)
        print(f"{os.path.relpath(fn, HERE)}: {len(w):,} words; verbatim FPB sentences: {len(verbatim)}; "
              f"FPB sentences sharing an {N}-gram: {len(sent_hits)}; trivial short matches: {len(trivial)} {trivial}")
        for s in verbatim[:10]:
            print("   VERBATIM:", s)
        for g, c in sorted(hit.items(), key=lambda x: -x[1])[:8]:
            print(f"   shared {N}-gram x{c}: '{g}'")
    print(f"TOTAL verbatim FPB sentences (>= {MIN_WORDS} words) found:", total_verbatim)
    return 1 if total_verbatim else 0


if __name__ == "__main__":
    sys.exit(main())

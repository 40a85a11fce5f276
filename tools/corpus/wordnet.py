#!/usr/bin/env python3
"""Reproduce wordnet/wordnet.txt from the Debian package wordnet-base 1:3.0-37 (bookworm, main).

Download:  apt-get download wordnet-base=1:3.0-37   (sha256 pinned below)
Extract:   usr/share/wordnet/data.{noun,verb,adj,adv}; the licence header lines (starting with
           two spaces) are skipped. For every synset: its words and its gloss (definition plus
           quoted example sentences), i.e. the text after "|".
Cleanup:   underscores in lemmas -> spaces, adjective markers (a)/(p)/(ip) dropped, whitespace
           collapsed. One synset per line:  "abstraction, abstract entity (n.): a general concept ..."
           The synsets of each part of speech are kept in file order; parts separated by a blank line.
Usage:     python3 extract.py        (writes ./wordnet.txt next to this script)
"""
import hashlib, os, re, shutil, subprocess, sys, tempfile

PKG, VER = "wordnet-base", "1:3.0-37"
DEB = "wordnet-base_1%3a3.0-37_all.deb"
SHA256 = "61060d960f9ada8fa120872312eccd3ecebfbab8c4579e4f5a74e1cf67620752"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "pretraining", "wordnet")
CACHE = os.environ.get("CORPUS_CACHE_DEB", os.path.expanduser("~/.cache/fedprompt-corpus/deb"))
POS = {"noun": "n.", "verb": "v.", "adj": "adj.", "adv": "adv."}


def fetch():
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, DEB)
    if not os.path.exists(path):
        subprocess.run(["apt-get", "download", f"{PKG}={VER}"], cwd=CACHE, check=True)
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if h != SHA256:
        sys.exit(f"sha256 mismatch for {path}: {h}")
    tmp = tempfile.mkdtemp()
    subprocess.run(["dpkg-deb", "-x", path, tmp], check=True)
    return tmp


def synsets(path, tag):
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith("  ") or "|" not in line:
            continue
        head, gloss = line.split("|", 1)
        f = head.split()
        n = int(f[3], 16)
        words = [re.sub(r"\((a|p|ip)\)$", "", f[4 + 2 * i]).replace("_", " ") for i in range(n)]
        gloss = re.sub(r"\s+", " ", gloss).strip()
        if gloss:
            yield f"{', '.join(words)} ({tag}): {gloss}"


def main():
    root = fetch()
    try:
        parts = []
        for pos, tag in POS.items():
            parts.append("\n".join(synsets(os.path.join(root, "usr/share/wordnet", f"data.{pos}"), tag)))
    finally:
        shutil.rmtree(root)
    out = os.path.join(HERE, "wordnet.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n\n".join(parts) + "\n")
    print(f"{out}: {sum(p.count(chr(10)) + 1 for p in parts)} synsets, {os.path.getsize(out):,} bytes")


if __name__ == "__main__":
    main()

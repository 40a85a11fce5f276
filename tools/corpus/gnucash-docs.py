#!/usr/bin/env python3
"""Reproduce gnucash-docs/gnucash-docs.txt from the Debian package gnucash-docs 4.13-1 (bookworm, main):
the English (C locale) "GnuCash Tutorial and Concepts Guide" and "GnuCash Help Manual".
Licence: GFDL 1.1 or later, no Invariant Sections, no Front-Cover Texts, no Back-Cover Texts.

Download:  apt-get download gnucash-docs=4.13-1   (145 MB; sha256 pinned below)
Extract:   usr/share/help/C/gnucash-guide/*.xml and usr/share/help/C/gnucash-help/*.xml in the
           order of the xi:include lines of each index.docbook; legal.xml and fdl-appendix.xml
           (licence texts) are skipped here - the GFDL text is shipped as COPYING-GFDL instead.
Cleanup:   DocBook -> text: comments, <programlisting>/<screen>/<literallayout> (code and
           terminal output), <indexterm> and <figure>/<screenshot>/<mediaobject> dropped; the
           DTDs' text entities (&app; -> GnuCash etc.) expanded; block elements (para, title,
           listitem, entry, term, glossterm, ...) become paragraphs; all other tags removed;
           one paragraph per line, blank line between paragraphs; the two manuals separated by
           one blank line; NFC.
Usage:     python3 extract.py        (writes ./gnucash-docs.txt)
"""
import hashlib, html, os, re, shutil, subprocess, sys, tarfile, tempfile, unicodedata

PKG, VER, DEB = "gnucash-docs", "4.13-1", "gnucash-docs_4.13-1_all.deb"
SHA256 = "09979baf0ff8ddc1f9c39320c2c38ff606d6f4656e04742ff2dc51f2d562996f"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "pretraining", "gnucash-docs")
CACHE = os.environ.get("CORPUS_CACHE_DEB", os.path.expanduser("~/.cache/fedprompt-corpus/deb"))
BOOKS = ["gnucash-guide", "gnucash-help"]
SKIP = {"legal.xml", "fdl-appendix.xml"}


def fetch():
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, DEB)
    if not os.path.exists(path):
        subprocess.run(["apt-get", "download", f"{PKG}={VER}"], cwd=CACHE, check=True)
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if h != SHA256:
        sys.exit(f"sha256 mismatch for {path}: {h}")
    tmp = tempfile.mkdtemp()
    # extract only the English help tree (the package also holds de/it/ja/pt and HTML/PDF)
    p1 = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path], stdout=subprocess.PIPE)
    subprocess.run(["tar", "x", "-C", tmp, "--wildcards", "./usr/share/help/C/*"], stdin=p1.stdout, check=True)
    p1.wait()
    return tmp


def entities(dirpath):
    ents = {}
    for fn in sorted(os.listdir(dirpath)):
        if fn.endswith(".dtd") or fn == "index.docbook":
            for m in re.finditer(r'<!ENTITY\s+([\w.-]+)\s+"([^"]*)"', open(os.path.join(dirpath, fn), encoding="utf-8").read()):
                ents.setdefault(m.group(1), m.group(2))
    def expand(t, depth=0):
        return re.sub(r"&([\w.-]+);", lambda m: expand(ents[m.group(1)], depth + 1)
                      if m.group(1) in ents and depth < 5 else m.group(0), t)
    return expand


BLOCK = ("para|simpara|title|subtitle|listitem|entry|term|glossterm|glossdef|formalpara|note|tip|"
         "warning|caution|important|tgroup|row|varlistentry|blockquote|member|step|question|answer")


def to_text(xml, expand):
    t = re.sub(r"<!--.*?-->", "", xml, flags=re.S)
    t = re.sub(r"<!DOCTYPE[^>]*>|<\?xml[^>]*\?>", "", t)
    t = expand(t)
    for tag in ("programlisting", "screen", "literallayout", "indexterm", "figure", "screenshot",
                "mediaobject", "inlinemediaobject", "informalfigure"):
        t = re.sub(rf"<{tag}\b.*?</{tag}>", " ", t, flags=re.S)
    t = re.sub(rf"</?({BLOCK})\b[^>]*>", "\x00", t)
    t = re.sub(r"<[^>]+>", "", t)
    t = html.unescape(t)
    for p in t.split("\x00"):
        p = re.sub(r"\s+", " ", unicodedata.normalize("NFC", p)).strip()
        if p and re.search(r"[A-Za-z]{2}", p):
            yield p


def main():
    root = fetch()
    try:
        books = []
        for b in BOOKS:
            d = os.path.join(root, "usr/share/help/C", b)
            expand = entities(d)
            idx = open(os.path.join(d, "index.docbook"), encoding="utf-8").read()
            files = [f for f in re.findall(r'<xi:include href="([^"]+)"', idx) if f not in SKIP]
            # the index itself holds the book's front matter (title, authors, preface)
            front = re.sub(r"<xi:include[^>]*/>", "", idx)
            front = re.sub(r"<legalnotice\b.*?</legalnotice>", "", front, flags=re.S)
            paras = list(to_text(front, expand))
            for f in files:
                paras.extend(to_text(open(os.path.join(d, f), encoding="utf-8").read(), expand))
            books.append("\n\n".join(paras))
            print(f"{b}: {len(files)} files, {len(paras)} paragraphs")
    finally:
        shutil.rmtree(root)
    out = os.path.join(HERE, "gnucash-docs.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n\n".join(books) + "\n")
    print(f"{out}: {os.path.getsize(out):,} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reproduce austen/austen.txt from the Debian package r-cran-janeaustenr 1.0.0-1 (bookworm, main):
Jane Austen's six completed novels (public domain; package MIT-licensed, (c) Julia Silge).

Download:  apt-get download r-cran-janeaustenr=1.0.0-1   (sha256 pinned below); dpkg-deb -x
Extract:   usr/lib/R/site-library/janeaustenr/data/Rdata.{rdx,rdb}: R's lazy-load database,
           read here with a small pure-Python reader of R's XDR serialization (no R needed).
           Objects: sensesensibility, prideprejudice, mansfieldpark, emma, northangerabbey,
           persuasion - character vectors, one element per line of the book.
Cleanup:   lines joined into paragraphs (blank elements separate paragraphs); _italic_ markers
           removed; runs of spaces collapsed; novels separated by one blank line; NFC. The package's texts carry no
           Project Gutenberg header/footer (checked below: no "Gutenberg" in any of them).
Usage:     python3 extract.py        (writes ./austen.txt)
"""
import gzip, hashlib, os, re, shutil, struct, subprocess, sys, tempfile, unicodedata, zlib

PKG, VER, DEB = "r-cran-janeaustenr", "1.0.0-1", "r-cran-janeaustenr_1.0.0-1_all.deb"
SHA256 = "df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "pretraining", "austen")
CACHE = os.environ.get("CORPUS_CACHE_DEB", os.path.expanduser("~/.cache/fedprompt-corpus/deb"))
BOOKS = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion"]


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


class RVec(list):
    attr = {}


class RReader:
    """Minimal reader of R's XDR serialization format (versions 2 and 3): enough for vectors,
    pairlists, symbols, environments' references and attributes."""

    def __init__(self, b):
        self.b, self.p, self.refs = b, 0, []

    def i(self):
        v = struct.unpack_from(">i", self.b, self.p)[0]
        self.p += 4
        return v

    def length(self):
        n = self.i()
        if n == -1:
            hi, lo = self.i(), self.i()
            n = (hi << 32) + lo
        return n

    def header(self):
        assert self.b[:2] == b"X\n", "only XDR format supported"
        self.p = 2
        ver = self.i()
        self.i(); self.i()
        if ver == 3:
            n = self.i()
            self.p += n

    def item(self):
        flags = self.i()
        t, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if t in (254, 242, 241, 253, 252, 251, 250):      # NIL, empty/base/global env, ...
            return None
        if t == 255:                                       # REFSXP
            idx = flags >> 8
            if idx == 0:
                idx = self.i()
            return self.refs[idx - 1]
        if t == 1:                                         # SYMSXP
            s = self.item()
            self.refs.append(("sym", s))
            return ("sym", s)
        if t in (249, 248):                                # NAMESPACESXP / PACKAGESXP
            self.i(); n = self.i()
            v = [self.item() for _ in range(n)]
            self.refs.append(("ns", v))
            return ("ns", v)
        if t == 4:                                         # ENVSXP
            env = {"env": True}
            self.refs.append(env)
            self.i(); self.item(); self.item(); self.item(); self.item()
            return env
        if t in (2, 6, 3, 5, 17, 239, 240):                # pairlist-like
            attr = self.item() if has_attr else None
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            return ("pair", tag, car, cdr, attr)
        if t == 9:                                         # CHARSXP
            n = self.i()
            if n == -1:
                return None
            s = self.b[self.p:self.p + n]
            self.p += n
            return s.decode("utf-8", errors="replace")
        if t in (10, 13):
            n = self.length(); v = list(struct.unpack_from(f">{n}i", self.b, self.p)); self.p += 4 * n
        elif t == 14:
            n = self.length(); v = list(struct.unpack_from(f">{n}d", self.b, self.p)); self.p += 8 * n
        elif t == 16 or t in (19, 20):
            n = self.length(); v = [self.item() for _ in range(n)]
        elif t == 238:                                     # ALTREP: class info, state, attributes
            info, state, attr = self.item(), self.item(), self.item()
            return ("altrep", info, state)
        else:
            raise ValueError(f"unsupported SEXP type {t}")
        v = RVec(v)
        if has_attr:
            v.attr = pairlist_to_dict(self.item())
        return v


def unblob(b):
    n = struct.unpack(">I", b[:4])[0]
    body = b[4:]
    if body[:1] in (b"Z",):
        body = body[1:]
    out = zlib.decompress(body)
    assert len(out) == n
    return out


def unserialize(b):
    r = RReader(b)
    r.header()
    return r.item()


def pairlist_to_dict(pl):
    d = {}
    while pl and pl[0] == "pair":
        _, tag, car, cdr, _ = pl
        d[tag[1] if tag else None] = car
        pl = cdr
    return d


def main():
    root = fetch()
    try:
        dd = os.path.join(root, "usr/lib/R/site-library/janeaustenr/data")
        rdx = unserialize(gzip.open(os.path.join(dd, "Rdata.rdx")).read())
        rdb = open(os.path.join(dd, "Rdata.rdb"), "rb").read()
    finally:
        shutil.rmtree(root)
    # rdx is list(variables=, references=, compressed=); 'variables' is a named list of
    # c(offset, length) positions of the objects in the .rdb file.
    top = dict(zip(rdx.attr["names"], rdx))
    variables = top["variables"]
    pos = dict(zip(variables.attr["names"], variables))
    books = []
    for name in BOOKS:
        off, ln = (int(x) for x in pos[name])
        lines = unserialize(unblob(rdb[off:off + ln]))
        text = "\n".join("" if l is None else l for l in lines)
        assert "gutenberg" not in text.lower(), name
        paras = []
        for block in re.split(r"\n\s*\n", unicodedata.normalize("NFC", text)):
            p = re.sub(r" {2,}", " ", " ".join(l.strip() for l in block.split("\n") if l.strip()))
            p = re.sub(r"(?<![\w])_([^_]+)_(?![\w])", r"\1", p).replace("_", "")
            if p:
                paras.append(p)
        books.append("\n\n".join(paras))
        print(f"{name}: {len(lines)} lines, {len(paras)} paragraphs")
    out = os.path.join(HERE, "austen.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n\n".join(books) + "\n")
    print(f"{out}: {os.path.getsize(out):,} bytes")


if __name__ == "__main__":
    main()

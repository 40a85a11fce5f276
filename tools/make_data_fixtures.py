#!/usr/bin/python3
"""Writes the reference outputs that FedPrompt's data tests compare with byte for byte.

Runs, with the real CPython `random`, NumPy and pandas, the same steps as
  * NeMo's scripts/dataset_processing/nlp/financial_phrase_bank/
    prompt_learning_financial_phrase_bank_preprocessing.py (defaults plus --make-ground-truth), and
  * NVFlare's integration/nemo/examples/prompt_learning/data/split_financial_phrase_data.py,
restated here step for step, plus a NumPy version of FedPrompt's own Dirichlet split, reference
values of the random generators and escaping cases of json.dumps and pandas' to_json.

Input is only the repository's data/financial_phrasebank/Sentences_AllAgree.txt and inputs this
script makes itself; output goes to tests/fixtures/data/ (overwritten). Run it with Debian's
interpreter, which has numpy and pandas:  /usr/bin/python3 tools/make_data_fixtures.py
"""

import json
import os
import random
import shutil
import sys

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHRASEBANK = os.path.join(ROOT, "data", "financial_phrasebank", "Sentences_AllAgree.txt")
OUT = os.path.join(ROOT, "tests", "fixtures", "data")


# ---------------------------------------------------------------------------------------------
# NeMo's preprocessing: read as ISO-8859-1 with readlines(), random.seed then random.shuffle,
# train = int(n * 0.8), val = (n - train) // 2, test = rest; each line split on '@' into exactly
# two parts, both stripped, written with json.dumps and "\n". With --make-ground-truth the test
# split keeps its labels like the others.
# ---------------------------------------------------------------------------------------------
def nemo_prepare(input_path, out_dir, seed=1234, train_percent=0.8, save_name_base="financial_phrase_bank"):
    with open(input_path, "r", encoding="ISO-8859-1") as source:
        lines = source.readlines()
    random.seed(seed)
    random.shuffle(lines)

    total = len(lines)
    train_total = int(total * train_percent)
    val_total = (total - train_total) // 2
    splits = {
        "train": lines[:train_total],
        "val": lines[train_total:train_total + val_total],
        "test": lines[train_total + val_total:],
    }
    os.makedirs(out_dir, exist_ok=True)
    for split_type, split_lines in splits.items():
        with open(os.path.join(out_dir, f"{save_name_base}_{split_type}.jsonl"), "w") as target:
            for line in split_lines:
                record = {"taskname": "sentiment"}
                sentence, label = line.split("@")  # raises unless there is exactly one '@'
                record["sentence"] = sentence.strip()
                record["label"] = " " + label.strip()  # kept for test too: --make-ground-truth
                target.write(json.dumps(record) + "\n")
    return {name: len(split_lines) for name, split_lines in splits.items()}


# ---------------------------------------------------------------------------------------------
# NVFlare's split: pandas.read_json(lines=True), DataFrame.sample(frac=1, random_state=seed),
# numpy.array_split into num_clients parts, each part written with
# DataFrame.to_json(path, orient="records", lines=True) as site-<k>.jsonl.
# ---------------------------------------------------------------------------------------------
def nvflare_split(data_path, out_dir, num_clients, seed, site_name_prefix="site-"):
    frame = pd.read_json(data_path, lines=True)
    assert len(frame) > 0
    frame = frame.sample(frac=1, random_state=seed)
    parts = np.array_split(frame, num_clients)
    os.makedirs(out_dir, exist_ok=True)
    for index, part in enumerate(parts):
        pd.DataFrame(part).to_json(os.path.join(out_dir, f"{site_name_prefix}{index + 1}.jsonl"), orient="records", lines=True)
    return [len(part) for part in parts]


# ---------------------------------------------------------------------------------------------
# FedPrompt's Dirichlet split (src/FedPrompt.Tuning/Data/DirichletLabelSplit.cs) in NumPy, so
# that its C# generator and arithmetic can be checked against NumPy's: one RandomState(seed);
# per label in sorted order, permutation of its records then dirichlet([alpha] * sites); site k
# takes int(cumsum * count) cuts; redraw everything while a site is empty; each site's records
# in file order, written as NVFlare writes sites.
# ---------------------------------------------------------------------------------------------
def dirichlet_split(data_path, out_dir, num_sites, alpha, seed, max_draws=1000):
    frame = pd.read_json(data_path, lines=True)
    rng = np.random.RandomState(seed)
    by_label = {label: np.flatnonzero(frame["label"].to_numpy() == label) for label in sorted(set(frame["label"]))}
    for _ in range(max_draws):
        sites = [[] for _ in range(num_sites)]
        for records in by_label.values():
            shuffled = records[rng.permutation(len(records))]
            shares = rng.dirichlet([alpha] * num_sites)
            cuts = (np.cumsum(shares) * len(records)).astype(int)[:-1]
            for site, chunk in enumerate(np.split(shuffled, cuts)):
                sites[site].extend(chunk.tolist())
        if all(sites):
            break
    else:
        raise RuntimeError("no draw gave every site a record")
    os.makedirs(out_dir, exist_ok=True)
    for index, site in enumerate(sites):
        frame.iloc[sorted(site)].to_json(os.path.join(out_dir, f"site-{index + 1}.jsonl"), orient="records", lines=True)
    return [len(site) for site in sites]


# Strings that exercise every escaping rule of json.dumps and of pandas' ultrajson.
EDGE_STRINGS = [
    "",
    "plain ASCII text",
    "path/with/slashes and http://example.com/",
    'a "quoted" word and a back\\slash',
    "\b\f\n\r\t",
    "".join(chr(c) for c in range(0x20)),
    "DEL \x7f here",
    "".join(chr(c) for c in range(0x80, 0x100)),
    "caf\u00e9 \u00f1 \u00a3 \u00a0nbsp",
    "\u20ac euro, \u2018curly\u2019 \u201cquotes\u201d",
    "line\u2028separator\u2029paragraph",
    "\ufeffBOM inside",
    "\ud7ff\ue000\uffff",
    "astral \U0001F600 \U0001D11E \U0010FFFF",
    "<script>&amp;'</script>",
    "  surrounding spaces  ",
]


def write_escaping_cases(path):
    """One line per string: the string, json.dumps of a PhraseBank-like record holding it, and the
    line pandas writes for the same record."""
    with open(path, "w") as target:
        for text in EDGE_STRINGS:
            record = {"taskname": "sentiment", "sentence": text, "label": " neutral"}
            pandas_line = pd.DataFrame([record]).to_json(orient="records", lines=True)
            target.write(json.dumps({"input": text, "json_dumps": json.dumps(record), "pandas_to_json": pandas_line}) + "\n")


def write_edge_phrasebank(path):
    """A small PhraseBank file with what Latin-1 text and Python's strip() and readlines() make
    tricky: CRLF and LF endings, no final newline, Python-only whitespace (U+001C..U+001F, U+0085,
    U+00A0) around sentence and label, control characters, quotes, backslashes, '/' and DEL."""
    lines = [
        b"Operating profit rose to EUR 13.1 mn from EUR 8.7 mn .@positive\r\n",
        b"  Sales fell 5 % to \xa3 3.2 m .  @  negative  \r\n",
        b"\xa0Caf\xe9 Ni\xf1o's \"quoted\" text \\ back/slash .\xa0@neutral\xa0\n",
        b"\x1c\x1d\x1e\x1fSeparators before and after\x1f@neutral\x1c\r\n",
        b"\x85Next-line chars \x85 stay inside .\x85@positive\n",
        b"Tab\tinside and\x0bvertical tab and\x0cform feed .@negative\n",
        b"Control \x01\x02\x1b chars and DEL \x7f.@neutral\n",
        b"Every high byte: " + bytes(range(0xa1, 0x100)) + b" .@positive\r\n",
        b"www.example.fi/live and 10/3/2011 dates .@neutral\n",
        b"\t\x0c Leading whitespace mix .\r\n".replace(b"\r\n", b"@negative\r\n"),
        b"Short.@positive\n",
        b"Last line without a newline .@neutral",
    ]
    with open(path, "wb") as target:
        target.write(b"".join(lines))


def write_edge_records(path):
    """A JSONL training file as the trainer or a person might hand it over: mostly json.dumps
    lines, but also raw UTF-8, "\\/" escapes, another key order, blank lines and CRLF."""
    rows = []
    for index, text in enumerate(EDGE_STRINGS):
        record = {"taskname": "sentiment", "sentence": text, "label": [" positive", " negative", " neutral"][index % 3]}
        rows.append(json.dumps(record))
    rows.append(json.dumps({"taskname": "sentiment", "sentence": "raw UTF-8: caf\u00e9 \U0001F600 \u20ac", "label": " positive"}, ensure_ascii=False))
    rows.append('{"taskname":"sentiment","sentence":"escaped slash a\\/b","label":" neutral"}')
    rows.append(json.dumps({"label": " negative", "sentence": "keys in another order", "taskname": "sentiment"}))
    rows.append("")
    rows.append("   ")
    text = "\n".join(rows[:6]) + "\r\n" + "\n".join(rows[6:]) + "\n"
    with open(path, "w", encoding="utf-8", newline="") as target:
        target.write(text)


def rng_reference():
    """Known outputs of the generators the C# code reproduces."""
    cpython = []
    for seed in [0, 1, 1234, -1234, 2**32 + 5, 2**63 - 1]:
        generator = random.Random(seed)
        getrandbits = [generator.getrandbits(32) for _ in range(5)]
        randbelow = [generator._randbelow(n) for n in [1, 2, 3, 10, 1000, 2**31 - 1]]
        items = list(range(20))
        generator.shuffle(items)
        cpython.append({"seed": seed, "getrandbits32": getrandbits, "randbelow_1_2_3_10_1000_2pow31minus1": randbelow, "shuffle_range20": items})
    numpy_cases = []
    for seed in [0, 1, 1234, 2**32 - 1]:
        state = np.random.RandomState(seed)
        sample = state.random_sample(3).tolist()
        permutation10 = state.permutation(10).tolist()
        permutation1000_head = state.permutation(1000)[:10].tolist()
        numpy_cases.append({"seed": seed, "random_sample3": sample, "permutation10": permutation10, "permutation1000_head10": permutation1000_head})
    dirichlet = []
    for seed, alpha in [(0, [0.5, 0.5, 0.5]), (1, [1.0, 1.0]), (2, [2.5, 2.5, 2.5, 2.5]), (3, [0.1] * 5), (4, [100.0, 0.3, 1.0])]:
        state = np.random.RandomState(seed)
        draws = [state.dirichlet(alpha).tolist() for _ in range(4)]
        dirichlet.append({"seed": seed, "alpha": alpha, "draws": draws})
    return {"cpython_random": cpython, "numpy_random_state": numpy_cases, "numpy_dirichlet": dirichlet}


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    with open(os.path.join(OUT, ".gitattributes"), "w") as target:
        target.write("# Fixtures are compared byte for byte (some have CRLF on purpose): no end-of-line conversion.\n* -text\n")

    counts = nemo_prepare(PHRASEBANK, OUT)
    assert counts == {"train": 1811, "val": 226, "test": 227}, counts
    train = os.path.join(OUT, "financial_phrase_bank_train.jsonl")
    assert nvflare_split(train, os.path.join(OUT, "split_seed0_3sites"), 3, 0) == [604, 604, 603]
    nvflare_split(train, os.path.join(OUT, "split_seed7_4sites"), 4, 7)
    dirichlet_split(train, os.path.join(OUT, "dirichlet_alpha0.5_seed0_3sites"), 3, 0.5, 0)
    dirichlet_split(train, os.path.join(OUT, "dirichlet_alpha5_seed3_4sites"), 4, 5.0, 3)

    edge = os.path.join(OUT, "edge")
    os.makedirs(edge)
    write_edge_phrasebank(os.path.join(edge, "phrase_bank.txt"))
    nemo_prepare(os.path.join(edge, "phrase_bank.txt"), os.path.join(edge, "prepared"))
    write_edge_records(os.path.join(edge, "records.jsonl"))
    nvflare_split(os.path.join(edge, "records.jsonl"), os.path.join(edge, "split_seed5_2sites"), 2, 5)
    write_escaping_cases(os.path.join(edge, "escaping_cases.jsonl"))

    with open(os.path.join(OUT, "rng_reference.json"), "w") as target:
        json.dump(rng_reference(), target, indent=1)
        target.write("\n")

    with open(os.path.join(OUT, "README.md"), "w") as target:
        target.write(
            "# Data fixtures\n\n"
            "Written by `tools/make_data_fixtures.py` (do not edit by hand; rerun it) with\n"
            f"Python {sys.version.split()[0]}, NumPy {np.__version__}, pandas {pd.__version__}.\n\n"
            "- `financial_phrase_bank_{train,val,test}.jsonl`: NeMo's preprocessing of\n"
            "  `data/financial_phrasebank/Sentences_AllAgree.txt` (seed 1234, labels kept in test).\n"
            "- `split_seed0_3sites/`, `split_seed7_4sites/`: NVFlare's `split_financial_phrase_data.py`\n"
            "  on that train file.\n"
            "- `dirichlet_*`: FedPrompt's Dirichlet split computed with NumPy.\n"
            "- `edge/`: a small hand-made PhraseBank file and JSONL file with awkward characters and\n"
            "  their prepared / split outputs, and `escaping_cases.jsonl` (string, json.dumps line,\n"
            "  pandas line).\n"
            "- `rng_reference.json`: outputs of CPython's `random` and NumPy's legacy `RandomState`.\n"
        )


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes tests/fixtures/tokenizers/: small tokenizers in the formats Llama-family models
ship, and the ids an independent implementation gives for a set of test texts.

  npm install --prefix /tmp/hftok @huggingface/tokenizers@0.2.0
  /usr/bin/python3 tools/make_tokenizer_fixtures.py [--tokenizers-js DIR]

* tokenizer.json folders: one byte-level BPE (vocabulary and merges trained by
  tools/bpe_reference.py on Reuters article text) dressed in the exact tokenizer.json
  layouts of Llama 3, Qwen2.5/3 and SmolLM2, plus a synthetic one for the options those
  leave unused. Expected ids come from Hugging Face's tokenizers.js
  (tools/hf_tokenizers_reference.mjs), not from anything the C# engine shares.
* sentencepiece/tokenizer.model: a BPE SentencePiece model trained with Debian's
  python3-sentencepiece using Llama 2's trainer settings; expected ids from sp.encode.

Training text is Reuters-21578 (data/reuters21578), never the Financial PhraseBank,
which is the evaluation data.
"""
import argparse
import gzip
import html
import io
import json
import os
import re
import shutil
import subprocess

import sentencepiece as spm

import bpe_reference

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
REUTERS = os.path.join(ROOT, "data", "reuters21578", "reut2-000.sgm.gz")
CORPUS_CHARS = 8000
BPE_VOCAB = 700  # 256 bytes + merges
SENTENCEPIECE_VOCAB = 600

# Verbatim from the models' tokenizer.json files.
LLAMA3_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

# In the vocabulary but reachable by no merge: with ignore_merges a pre-token spelling it is one id.
UNMERGEABLE = "Ġunmergeable"

TEXTS = [
    "",
    "Showers continued throughout the week",
    " leading space",
    "trailing space ",
    "multiple   spaces    inside",
    "   ",
    "Net sales were 2,264 units, up from 1234567",
    "DON'T",
    "the company's shares and they'RE here",
    "line one\nline two\n\nafter a blank line\n",
    "windows\r\nline end",
    "tab\tseparated\tvalues\t",
    "Kärkkäinen €5",
    "Ka\u0308rkka\u0308inen decomposed",
    "rocket 🚀 launch",
    "aaaa bbbbbb",
    "unmergeable",
    " unmergeable words",
    "<|begin_of_text|>Hello<|eot_id|> world<|end_of_text|>",
    "<|im_start|>user\nHi<|im_end|>\n<think>x</think>",
    "<|endoftext|>after",
    "<s>not special</s>",
    "done<｜end▁of▁sentence｜> next",
    "a   b",
    "x     ",
    "...... 1000000",
]


def reuters_text():
    """The first Reuters article bodies, about CORPUS_CHARS characters in all."""
    with gzip.open(REUTERS) as f:
        raw = f.read().decode("latin-1")
    text = ""
    for body in re.findall(r"<BODY>(.*?)</BODY>", raw, re.S):
        body = html.unescape(body).replace("\x03", "").strip()
        if len(text) + len(body) > CORPUS_CHARS:
            break
        text += body + "\n"
    return text


def added(token_id, content, special=True):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": not special, "special": special}


def split(pattern):
    return {"type": "Split", "pattern": pattern, "behavior": "Isolated", "invert": False}


def byte_level(add_prefix_space, trim_offsets, use_regex):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": trim_offsets, "use_regex": use_regex}


def template(bos, bos_id):
    special = {"SpecialToken": {"id": bos, "type_id": 0}}
    return {
        "type": "TemplateProcessing",
        "single": [special, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [special, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }


def tokenizer_json(vocab, merges, added_tokens, normalizer, pre_tokenizer, post_processor, model_extra, pair_merges):
    model = {"type": "BPE", "dropout": None, "unk_token": None, **model_extra,
             "vocab": vocab, "merges": [list(m) for m in merges] if pair_merges else [f"{a} {b}" for a, b in merges]}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
            "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
            "decoder": byte_level(True, True, True), "model": model}


def llama3(vocab, merges):
    """Llama 3.x: regex Split + ByteLevel without regex, ignore_merges, BOS by TemplateProcessing."""
    n = len(vocab)
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
             "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
             "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
    ids = {name: n + i for i, name in enumerate(names)}
    model_extra = {"continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": False,
                   "byte_fallback": False, "ignore_merges": True}
    post = {"type": "Sequence", "processors": [byte_level(True, False, True), template("<|begin_of_text|>", ids["<|begin_of_text|>"])]}
    tokenizer = tokenizer_json(vocab, merges, [added(i, name) for name, i in ids.items()], None,
                               {"type": "Sequence", "pretokenizers": [split({"Regex": LLAMA3_SPLIT}), byte_level(False, True, False)]},
                               post, model_extra, pair_merges=False)
    side = {
        "tokenizer_config.json": {"bos_token": "<|begin_of_text|>", "clean_up_tokenization_spaces": True,
                                  "eos_token": "<|eot_id|>", "model_max_length": 131072, "tokenizer_class": "PreTrainedTokenizerFast"},
        "generation_config.json": {"bos_token_id": ids["<|begin_of_text|>"], "do_sample": True,
                                   "eos_token_id": [ids["<|end_of_text|>"], ids["<|eom_id|>"], ids["<|eot_id|>"]],
                                   "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0"},
    }
    return tokenizer, side, ids


def qwen3(vocab, merges):
    """Qwen2.5/3: NFC, single-digit Split, pair-form merges, no BOS, a non-special added token."""
    n = len(vocab)
    tokens = [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("<think>", False), ("</think>", False)]
    ids = {name: n + i for i, (name, _) in enumerate(tokens)}
    model_extra = {"continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                   "byte_fallback": False, "ignore_merges": False}
    tokenizer = tokenizer_json(vocab, merges, [added(ids[name], name, special) for name, special in tokens], {"type": "NFC"},
                               {"type": "Sequence", "pretokenizers": [split({"Regex": QWEN2_SPLIT}), byte_level(False, False, False)]},
                               byte_level(False, False, False), model_extra, pair_merges=True)
    side = {"tokenizer_config.json": {"add_bos_token": False, "add_prefix_space": False, "bos_token": None,
                                      "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>", "errors": "replace",
                                      "model_max_length": 131072, "pad_token": "<|endoftext|>", "split_special_tokens": False,
                                      "tokenizer_class": "Qwen2Tokenizer", "unk_token": None}}
    return tokenizer, side, ids


def smollm2(vocab, merges):
    """SmolLM2: special tokens first, inside the model vocabulary too; Digits then ByteLevel with its regex."""
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    shifted = {token: i + len(specials) for token, i in vocab.items()}
    ids = {name: i for i, name in enumerate(specials)}
    model_vocab = {**ids, **shifted}
    model_extra = {"continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": False}
    tokenizer = tokenizer_json(model_vocab, merges, [added(i, name) for name, i in ids.items()], None,
                               {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                                      byte_level(False, True, True)]},
                               byte_level(True, False, True), model_extra, pair_merges=False)
    side = {"tokenizer_config.json": {"add_prefix_space": False, "bos_token": "<|endoftext|>",
                                      "clean_up_tokenization_spaces": False, "eos_token": "<|endoftext|>",
                                      "model_max_length": 8192, "tokenizer_class": "GPT2Tokenizer", "unk_token": "<|endoftext|>",
                                      "vocab_size": 49152}}
    return tokenizer, side, ids


def prefix_split(vocab, merges):
    """Options the real models leave unused: a String Split, ByteLevel's add_prefix_space, an added token
    outside the byte alphabet (DeepSeek's end of sentence); no config files."""
    ids = {"<|endoftext|>": len(vocab), "<｜end▁of▁sentence｜>": len(vocab) + 1}
    tokenizer = tokenizer_json(vocab, merges, [added(i, name) for name, i in ids.items()], None,
                               {"type": "Sequence", "pretokenizers": [split({"String": "\n"}), byte_level(True, True, True)]},
                               byte_level(True, True, True), {}, pair_merges=True)
    return tokenizer, {}, ids


def reference_ids(tokenizers_js, tokenizer):
    request = json.dumps({"tokenizer": tokenizer, "texts": TEXTS})
    script = os.path.join(ROOT, "tools", "hf_tokenizers_reference.mjs")
    answer = subprocess.run(["node", script, tokenizers_js], input=request, capture_output=True, text=True, check=True)
    return json.loads(answer.stdout)


def write_json(path, value):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(value, f, ensure_ascii=False, indent=2)
        f.write("\n")


def byte_level_fixtures(tokenizers_js, corpus, expected):
    vocab, merges = bpe_reference.train(corpus.split("\n"), vocab_size=BPE_VOCAB)
    del vocab[bpe_reference.EOT]
    vocab[UNMERGEABLE] = len(vocab)
    for name, build in [("llama3", llama3), ("qwen3", qwen3), ("smollm2", smollm2), ("prefix-split", prefix_split)]:
        tokenizer, side, ids = build(dict(vocab), merges)
        folder = os.path.join(OUT, name)
        os.makedirs(folder)
        write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
        for file, content in side.items():
            write_json(os.path.join(folder, file), content)
        cases = reference_ids(tokenizers_js, tokenizer)
        highest = max(max(tokenizer["model"]["vocab"].values()), max(t["id"] for t in tokenizer["added_tokens"]))
        expected[name] = {"reference": "tokenizers.js (@huggingface/tokenizers 0.2.0)", "special_ids": ids,
                          "vocabulary_size": highest + 1, "cases": cases}
    whole = {name: next(c["ids"] for c in expected[name]["cases"] if c["text"] == " unmergeable words")[0]
             for name in ("llama3", "qwen3")}
    assert whole["llama3"] == vocab[UNMERGEABLE] != whole["qwen3"], "ignore_merges made no difference; the case tests nothing"


def sentencepiece_fixture(corpus, expected):
    folder = os.path.join(OUT, "sentencepiece")
    os.makedirs(folder)
    model = io.BytesIO()
    # Fed from memory and written to memory, so that no temporary path lands in the model's trainer_spec.
    # Llama 2's trainer_spec: identity normalisation, spaces kept, digits split, byte fallback.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus.splitlines()), model_writer=model, model_type="bpe", vocab_size=SENTENCEPIECE_VOCAB,
        byte_fallback=True, normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        split_digits=True, allow_whitespace_only_pieces=True, character_coverage=1.0,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, minloglevel=2)
    with open(os.path.join(folder, "tokenizer.model"), "wb") as f:
        f.write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "tokenizer.model"))
    expected["sentencepiece"] = {
        "reference": f"sentencepiece {spm.__version__} (Debian python3-sentencepiece)",
        "special_ids": {"<unk>": sp.unk_id(), "<s>": sp.bos_id(), "</s>": sp.eos_id()},
        "vocabulary_size": sp.get_piece_size(),
        "cases": [{"text": t, "ids": sp.encode(t), "decoded": sp.decode(sp.encode(t))} for t in TEXTS],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizers-js", default="/tmp/hftok/node_modules/@huggingface/tokenizers",
                        help="an installed @huggingface/tokenizers package")
    args = parser.parse_args()
    if os.path.exists(OUT):
        for entry in os.listdir(OUT):
            if entry != "README.md":
                path = os.path.join(OUT, entry)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    os.makedirs(OUT, exist_ok=True)
    corpus = reuters_text()
    expected = {}
    byte_level_fixtures(args.tokenizers_js, corpus, expected)
    sentencepiece_fixture(corpus, expected)
    write_json(os.path.join(OUT, "expected.json"), expected)
    print(f"wrote {', '.join(expected)} to {OUT}")


if __name__ == "__main__":
    main()

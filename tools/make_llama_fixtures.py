#!/usr/bin/python3
"""Writes the Llama-family engine fixtures: tests/fixtures/engine/tiny-{llama,mistral,qwen2,qwen3}*/
(tiny random Hugging Face checkpoints with their tokenizers) and tests/fixtures/engine/llama_expected.json
(token ids, log-probs, greedy continuations, tokenizer cases). The GPT-2 fixtures and expected.json
are tools/make_engine_fixtures.py's and are not touched.

Expected values come from tools/llama_reference.py on the weights as read back from the written
files; tokenizer.json ids from tools/hf_tokenizer_reference.py (and, when the npm package
`tokenizers` is on NODE_PATH, asserted equal to Hugging Face's own library, see
tools/check_tokenizer_json.js); tokenizer.model ids from python sentencepiece.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/make_llama_fixtures.py
"""
import collections
import gzip
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata

import sentencepiece
import torch

import hf_tokenizer_reference as hftok
import llama_loop_reference
import llama_reference as ref
from make_engine_fixtures import fp32_list, read_safetensors, write_safetensors

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "engine")
CORPUS = os.path.join(ROOT, "data", "reuters21578", "reut2-000.sgm.gz")
TRAIN_PARAGRAPHS = 60     # tokenizers are trained on the first 60 body paragraphs (~7.8 KB)
VOCAB = 384               # every model's vocab_size
BPE_BASE = 374            # tokenizer.json: 256 byte symbols + 118 merge results, specials from 374
SP_VOCAB = VOCAB          # tokenizer.model pieces: <unk> <s> </s>, 256 byte pieces, 125 learned
GREEDY_STEPS = 8
DISCRIMINATES = 1e-2      # a listed mutation must move some log-prob by more than this
# ... except these, which only need to clear the C# tests' 1e-4 tolerance several times over
WEAKER = {"rms_eps_1e-5": 5e-4}
AGREES = 1e-5             # llama_reference (fp32) vs llama_loop_reference (fp64) on every log-prob

LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                   "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                   "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>"]
QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>"]
LL = {t: BPE_BASE + i for i, t in enumerate(LLAMA3_SPECIALS)}
QW = {t: BPE_BASE + i for i, t in enumerate(QWEN_SPECIALS)}
assert max(LL.values()) < VOCAB and max(QW.values()) < VOCAB

TOKENIZER_CASES = [
    "",
    "Hello world",
    "   leading spaces",
    "trailing spaces   ",
    "multiple    spaces  between",
    "Net sales were 2,264 units, up 1234567 or 3.14159 pct",
    "in 1987 and 198719",
    "5\u00a0000 mln (Reuters) $1.5",
    "DON'T stop, we'll see; the company's CEO",
    "line one\nline two\n\nend\n",
    "end  \n\n  next\n\n\n",
    "Profit rose 5 pct.\nShares fell (Reuters).\n\n",
    "tabs\tand\r\nwindows",
    " \t \n ",
    "Kärkkäinen €5",
    "price €5 in Kärkkäinen's shop",
    "profit 📈 up",
]
SPECIAL_CASES = {  # added tokens written in the text: tokenizer.json splits them out first
    "llama3": ["<|begin_of_text|>Hi<|eot_id|>"],
    "qwen": ["<|im_start|>user\nHi<|im_end|>\n", "cafe\u0301 na\u0308ive"],  # the second one: NFC
}


# ---- text ----------------------------------------------------------------------------------

def reuters_paragraphs(path):
    """Body paragraphs of the Reuters-21578 SGML file, whitespace collapsed, sign-off dropped."""
    with gzip.open(path, "rt", encoding="latin-1") as f:
        sgml = f.read()
    out = []
    for body in re.findall(r"<BODY>(.*?)</BODY>", sgml, re.S):
        for para in re.split(r"\n\s{2,}", html.unescape(body.replace("&#3;", ""))):
            para = " ".join(para.split())
            para = re.sub(r"\s*\bReut(er|ER)$", "", para)
            if para:
                out.append(para)
    return out


# ---- tokenizers ----------------------------------------------------------------------------

def added_token(content, id_):
    return {"id": id_, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def tokenizer_json(vocab, merges, family, pairs):
    """The tokenizer.json layout of Llama 3.x (family 'llama3') or Qwen 2/2.5/3 (family 'qwen')."""
    specials = LL if family == "llama3" else QW
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": family == "llama3", "use_regex": False}
    if family == "llama3":
        bos = "<|begin_of_text|>"
        post = {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {bos: {"id": bos, "ids": [specials[bos]], "tokens": [bos]}}}]}
        decoder = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    else:
        post = dict(byte_level)
        decoder = dict(byte_level)
    model = {"type": "BPE", "dropout": None, "unk_token": None,
             "continuing_subword_prefix": None if family == "llama3" else "",
             "end_of_word_suffix": None if family == "llama3" else "",
             "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab,
             "merges": [list(m) for m in merges] if pairs else [f"{a} {b}" for a, b in merges]}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added_token(t, i) for t, i in specials.items()],
        "normalizer": None if family == "llama3" else {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": hftok.LLAMA3_PATTERN if family == "llama3" else hftok.QWEN2_PATTERN},
             "behavior": "Isolated", "invert": False},
            byte_level]},
        "post_processor": post, "decoder": decoder, "model": model,
    }


def train_sentencepiece(paragraphs):
    """A Llama 2 style SentencePiece BPE model (the trainer options Llama 2's tokenizer.model records)."""
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(paragraphs), model_writer=model, model_type="bpe", vocab_size=SP_VOCAB,
        byte_fallback=True, split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", character_coverage=1.0, allow_whitespace_only_pieces=True,
        split_by_unicode_script=True, split_by_number=True, split_by_whitespace=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, minloglevel=2, max_sentence_length=16384)
    return model.getvalue()


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def tokenizer_files(kind):
    """(tokenizer_config.json, generation_config.json or None) as the real families ship them."""
    decoder = lambda specials: {str(i): {k: v for k, v in added_token(t, i).items() if k != "id"}
                                for t, i in specials.items()}
    if kind == "llama3":
        return ({"added_tokens_decoder": decoder(LL), "bos_token": "<|begin_of_text|>",
                 "clean_up_tokenization_spaces": True, "eos_token": "<|end_of_text|>",
                 "model_input_names": ["input_ids", "attention_mask"], "model_max_length": 131072,
                 "tokenizer_class": "PreTrainedTokenizerFast"},
                {"bos_token_id": LL["<|begin_of_text|>"], "do_sample": True, "eos_token_id": LL["<|end_of_text|>"],
                 "temperature": 0.6, "top_p": 0.9})
    if kind == "qwen":
        return ({"add_prefix_space": False, "added_tokens_decoder": decoder(QW), "bos_token": None,
                 "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>", "errors": "replace",
                 "model_max_length": 32768, "pad_token": "<|endoftext|>", "split_special_tokens": False,
                 "tokenizer_class": "Qwen2Tokenizer", "unk_token": None},
                {"bos_token_id": QW["<|endoftext|>"], "do_sample": True,
                 "eos_token_id": [QW["<|im_end|>"], QW["<|endoftext|>"]], "pad_token_id": QW["<|endoftext|>"],
                 "repetition_penalty": 1.1, "temperature": 0.7, "top_k": 20, "top_p": 0.8})
    assert kind == "sentencepiece"
    return ({"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "clean_up_tokenization_spaces": False,
             "eos_token": "</s>", "model_max_length": 2048, "pad_token": None, "sp_model_kwargs": {},
             "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>"},
            {"bos_token_id": 1, "eos_token_id": 2, "max_length": 2048, "pad_token_id": 0})


# ---- models --------------------------------------------------------------------------------

def common(arch, model_type, **kw):
    base = {"architectures": [arch], "attention_dropout": 0.0, "hidden_act": "silu", "hidden_size": 32,
            "initializer_range": 0.02, "intermediate_size": 48, "model_type": model_type,
            "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": VOCAB, "use_cache": True}
    base.update(kw)
    return dict(sorted(base.items()))


LLAMA3_TOKENS = dict(bos_token_id=LL["<|begin_of_text|>"], eos_token_id=LL["<|end_of_text|>"])

# name -> (config, seed, tokenizer kind, merges as pairs, weight layout, features, mutations that must discriminate)
FIXTURES = {
    "tiny-llama": (
        common("LlamaForCausalLM", "llama", num_key_value_heads=2, head_dim=8, attention_bias=False, mlp_bias=False,
               max_position_embeddings=2048, rms_norm_eps=1e-5, rope_theta=500000.0, pretraining_tp=1,
               rope_scaling={"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                             "original_max_position_embeddings": 256, "rope_type": "llama3"},
               tie_word_embeddings=True, torch_dtype="float32", transformers_version="4.45.0", **LLAMA3_TOKENS),
        20250101, "llama3", False, "single",
        "Llama 3.2 layout: GQA 4 query / 2 kv heads, llama3 rope_scaling (rope_type key) with frequencies in all "
        "three branches, tied embeddings (no lm_head.weight), BOS from the tokenizer.json post-processor",
        ["rope_interleaved", "kv_modulo", "no_rope_scaling", "linear_for_llama3", "default_rope_theta"]),
    "tiny-llama-linear": (
        common("LlamaForCausalLM", "llama", attention_bias=True, max_position_embeddings=4096, rms_norm_eps=1e-6,
               rope_theta=10000.0, rope_scaling={"factor": 2.0, "type": "linear"}, tie_word_embeddings=False,
               torch_dtype="float32", transformers_version="4.31.0", **LLAMA3_TOKENS),
        20250102, "llama3", False, "single",
        "older config form: rope_scaling {\"type\": \"linear\"}, no num_key_value_heads key (means MHA), "
        "attention_bias true (q, k, v and o biases), untied lm_head",
        ["no_rope_scaling", "no_qkv_bias", "no_o_bias", "tied_head", "rope_interleaved", "rms_eps_1e-5"]),
    "tiny-llama-rope-parameters": (
        common("LlamaForCausalLM", "llama", num_key_value_heads=2, head_dim=8, attention_bias=False, mlp_bias=False,
               max_position_embeddings=1024, rms_norm_eps=1e-5,
               rope_parameters={"factor": 4.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                "original_max_position_embeddings": 128, "rope_theta": 50000.0, "rope_type": "llama3"},
               tie_word_embeddings=True, dtype="float32", transformers_version="5.0.0", **LLAMA3_TOKENS),
        20250103, "llama3", False, "single",
        "transformers 5 config form: rope_parameters {rope_type llama3, rope_theta, ...}, no top-level rope_theta "
        "or rope_scaling, `dtype` instead of `torch_dtype`; GQA, tied",
        ["no_rope_scaling", "linear_for_llama3", "default_rope_theta", "kv_modulo"]),
    "tiny-mistral": (
        common("MistralForCausalLM", "mistral", num_key_value_heads=1, head_dim=8, max_position_embeddings=32768,
               rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=8, tie_word_embeddings=False,
               torch_dtype="float32", transformers_version="4.42.0", bos_token_id=1, eos_token_id=2),
        20250104, "sentencepiece", None, "single",
        "sliding_window 8 on both layers with a scored sequence of 30-40 ids, multi-query (1 kv head), untied, "
        "SentencePiece tokenizer.model (as Mistral 7B v0.1)",
        ["no_sliding_window", "window_plus_one", "tied_head", "rope_interleaved"]),
    "tiny-qwen2": (
        common("Qwen2ForCausalLM", "qwen2", num_key_value_heads=2, max_position_embeddings=32768, max_window_layers=2,
               rms_norm_eps=1e-6, rope_theta=1000000.0, sliding_window=32768, use_sliding_window=False,
               tie_word_embeddings=False, torch_dtype="float32", transformers_version="4.43.1",
               bos_token_id=QW["<|endoftext|>"], eos_token_id=[QW["<|im_end|>"], QW["<|endoftext|>"]]),
        20250105, "qwen", False, "single",
        "q/k/v biases and no o bias (no attention_bias key), untied, rope_theta 1e6, eos_token_id a list, "
        "no BOS added; tokenizer.json with Qwen's single-digit regex and NFC normalizer",
        ["no_qkv_bias", "tied_head", "default_rope_theta", "kv_modulo", "rms_eps_1e-5"]),
    "tiny-qwen3": (
        common("Qwen3ForCausalLM", "qwen3", num_key_value_heads=2, head_dim=16, attention_bias=False,
               max_position_embeddings=40960, max_window_layers=2, rms_norm_eps=1e-6, rope_theta=1000000.0,
               rope_scaling=None, sliding_window=None, use_sliding_window=False, tie_word_embeddings=True,
               torch_dtype="float32", transformers_version="4.51.0",
               bos_token_id=QW["<|endoftext|>"], eos_token_id=QW["<|im_end|>"]),
        20250106, "qwen", True, "single",
        "q_norm/k_norm per head before RoPE, head_dim 16 with hidden 32 / 4 heads (q_proj [64, 32], o_proj "
        "[32, 64]), no biases, tied; tokenizer.json merges as [a, b] pairs",
        ["no_qk_norm", "qk_norm_after_rope", "kv_modulo", "rope_interleaved"]),
    "tiny-llama-bf16": (
        common("LlamaForCausalLM", "llama", num_key_value_heads=2, attention_bias=False, mlp_bias=False,
               max_position_embeddings=2048, rms_norm_eps=1e-5, rope_theta=500000.0, rope_scaling=None,
               tie_word_embeddings=True, torch_dtype="bfloat16", transformers_version="4.45.0", **LLAMA3_TOKENS),
        20250107, "llama3", False, "bf16",
        "every tensor stored BF16 (expected values from the bf16 values widened to fp32), no head_dim key, "
        "rope_scaling null, tied",
        ["kv_modulo"]),
    "tiny-llama-sharded": (
        common("LlamaForCausalLM", "llama", num_key_value_heads=2, head_dim=8, attention_bias=False, mlp_bias=False,
               max_position_embeddings=2048, rms_norm_eps=1e-5, rope_theta=500000.0, rope_scaling=None,
               tie_word_embeddings=False, torch_dtype="float32", transformers_version="4.45.0", **LLAMA3_TOKENS),
        20250108, "llama3", False, "sharded",
        "two safetensors shards + model.safetensors.index.json; lm_head.weight and layer 1 in the second shard, "
        "untied",
        ["tied_head", "kv_modulo"]),
    "tiny-llama-sentencepiece": (
        common("LlamaForCausalLM", "llama", num_key_value_heads=4, attention_bias=False, mlp_bias=False,
               max_position_embeddings=2048, rms_norm_eps=1e-5, rope_theta=10000.0, rope_scaling=None,
               pretraining_tp=1, tie_word_embeddings=False, torch_dtype="float32", transformers_version="4.35.0",
               bos_token_id=1, eos_token_id=2),
        20250109, "sentencepiece", None, "single",
        "Llama 2 / TinyLlama layout: SentencePiece tokenizer.model (BPE, byte fallback, split digits, "
        "<unk> 0, <s> 1, </s> 2), tokenizer_config add_bos_token true, MHA with num_key_value_heads present, untied",
        ["tied_head", "rope_interleaved"]),
}

# name -> (first paragraph index searched for the scored text, greedy prompt candidates, min ids, max ids)
CASES = {
    "tiny-llama": (100, ("The company said", "Prices were", "In a statement"), 20, 40),
    "tiny-llama-linear": (130, ("Oil prices", "Prices were", "In a statement"), 20, 40),
    "tiny-llama-rope-parameters": (160, ("The bank said it", "Prices were", "In a statement"), 20, 40),
    "tiny-mistral": (190, ("Shares of the company", "Prices were", "In a statement"), 30, 40),
    "tiny-qwen2": (220, ("Net profit rose", "Prices were", "In a statement"), 20, 40),
    "tiny-qwen3": (250, ("The dollar", "Prices were", "In a statement"), 20, 40),
    "tiny-llama-bf16": (280, ("Analysts said", "Prices were", "In a statement"), 20, 40),
    "tiny-llama-sharded": (310, ("The government", "Prices were", "In a statement"), 20, 40),
    "tiny-llama-sentencepiece": (340, ("Sales in the first quarter", "Prices were", "In a statement"), 20, 40),
}


def random_weights(config, seed):
    """HF names in the order save_pretrained writes them. Matrices and embeddings N(0, 0.2), biases N(0, 0.1),
    RMSNorm weights (incl. q_norm/k_norm) 1 + N(0, 0.1): large on purpose so layout mistakes show."""
    g = torch.Generator().manual_seed(seed)
    normal = lambda shape, std, mean=0.0: torch.randn(shape, generator=g) * std + mean
    hidden, inter = config["hidden_size"], config["intermediate_size"]
    heads = config["num_attention_heads"]
    kv = config.get("num_key_value_heads") or heads
    d = ref.head_dim_of(config)
    lay = ref.layout(config)
    sd = collections.OrderedDict()
    sd["model.embed_tokens.weight"] = normal((config["vocab_size"], hidden), 0.2)
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        for proj, out in (("q", heads * d), ("k", kv * d), ("v", kv * d)):
            sd[f"{p}self_attn.{proj}_proj.weight"] = normal((out, hidden), 0.2)
            if lay["qkv_bias"]:
                sd[f"{p}self_attn.{proj}_proj.bias"] = normal((out,), 0.1)
        sd[f"{p}self_attn.o_proj.weight"] = normal((hidden, heads * d), 0.2)
        if lay["o_bias"]:
            sd[f"{p}self_attn.o_proj.bias"] = normal((hidden,), 0.1)
        if lay["qk_norm"]:
            sd[f"{p}self_attn.q_norm.weight"] = normal((d,), 0.1, 1.0)
            sd[f"{p}self_attn.k_norm.weight"] = normal((d,), 0.1, 1.0)
        sd[f"{p}mlp.gate_proj.weight"] = normal((inter, hidden), 0.2)
        sd[f"{p}mlp.up_proj.weight"] = normal((inter, hidden), 0.2)
        sd[f"{p}mlp.down_proj.weight"] = normal((hidden, inter), 0.2)
        sd[f"{p}input_layernorm.weight"] = normal((hidden,), 0.1, 1.0)
        sd[f"{p}post_attention_layernorm.weight"] = normal((hidden,), 0.1, 1.0)
    sd["model.norm.weight"] = normal((hidden,), 0.1, 1.0)
    if not config["tie_word_embeddings"]:
        sd["lm_head.weight"] = normal((config["vocab_size"], hidden), 0.2)
    assert set(sd) == ref.expected_names(config)
    return sd


def write_weights(path, sd, layout):
    if layout == "single":
        write_safetensors(os.path.join(path, "model.safetensors"), sd)
    elif layout == "bf16":
        write_safetensors(os.path.join(path, "model.safetensors"),
                          collections.OrderedDict((k, v.to(torch.bfloat16)) for k, v in sd.items()))
    else:
        shards = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
        first = ("model.embed_tokens.", "model.layers.0.")
        weight_map = {k: shards[0] if k.startswith(first) else shards[1] for k in sd}
        for shard in shards:
            write_safetensors(os.path.join(path, shard), {k: v for k, v in sd.items() if weight_map[k] == shard})
        write_json(os.path.join(path, "model.safetensors.index.json"),
                   {"metadata": {"total_size": sum(t.numel() * t.element_size() for t in sd.values())},
                    "weight_map": dict(sorted(weight_map.items()))})


def load_weights(path):
    """Read back from disk, independently of the in-memory tensors (BF16 widened to fp32)."""
    single = os.path.join(path, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(path, "model.safetensors.index.json")) as f:
        index = json.load(f)
    sd = {}
    for shard in sorted(set(index["weight_map"].values())):
        part = read_safetensors(os.path.join(path, shard))
        assert all(index["weight_map"][k] == shard for k in part)
        sd.update(part)
    assert sorted(sd) == sorted(index["weight_map"])
    return sd


# ---- expected values -----------------------------------------------------------------------

class SentencePieceTokenizer:
    def __init__(self, path):
        self.sp = sentencepiece.SentencePieceProcessor(model_file=path)

    def encode(self, text, add_special_tokens=False):
        return ([self.sp.bos_id()] if add_special_tokens else []) + self.sp.encode(text)

    def decode(self, ids):
        return self.sp.decode(ids)


def load_tokenizer(path):
    if os.path.exists(os.path.join(path, "tokenizer.json")):
        return hftok.Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    return SentencePieceTokenizer(os.path.join(path, "tokenizer.model"))


def pick_text(paragraphs, start, tokenizer, lo, hi):
    """First paragraph from `start` on (or its leading sentences) whose ids, BOS included, number lo..hi."""
    for para in paragraphs[start:]:
        sentences = re.split(r"(?<=\.) ", para)
        for n in range(1, len(sentences) + 1):
            text = " ".join(sentences[:n])
            count = len(tokenizer.encode(text, add_special_tokens=True))
            if lo <= count <= hi:
                return text
            if count > hi:
                break
    raise ValueError("no text of the right length")


def config_summary(config):
    rope_type, theta, params = ref.rope_parameters(config)
    keys = ["model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "rms_norm_eps", "tie_word_embeddings", "bos_token_id", "eos_token_id"]
    out = {k: config.get(k) for k in keys}
    out["num_key_value_heads"] = config.get("num_key_value_heads") or config["num_attention_heads"]
    out["head_dim"] = ref.head_dim_of(config)
    out["torch_dtype"] = config.get("torch_dtype", config.get("dtype"))
    out["rope_type"], out["rope_theta"] = rope_type, theta
    out["rope_scaling"] = {k: v for k, v in params.items() if k not in ("rope_type", "type", "rope_theta")} or None
    lay = ref.layout(config)
    out["sliding_window_per_layer"] = lay["windows"]
    out.update({k: lay[k] for k in ("qkv_bias", "o_bias", "qk_norm", "mlp_bias")})
    return out


def max_delta(a, b):
    return (a - b).abs().max().item()


def expected_entry(name, paragraphs):
    config_path = os.path.join(OUT, name)
    with open(os.path.join(config_path, "config.json")) as f:
        config = json.load(f)
    sd = load_weights(config_path)
    tokenizer = load_tokenizer(config_path)
    start, prompts, lo, hi = CASES[name]
    text = pick_text(paragraphs, start, tokenizer, lo, hi)
    ids = tokenizer.encode(text, add_special_tokens=True)
    assert all(w is None or len(ids) > w for w in ref.layout(config)["windows"]), (name, "window must matter")
    forward = lambda x, mutation=None: ref.llama_forward(sd, config, x, mutation)
    eos = config["eos_token_id"] if isinstance(config["eos_token_id"], list) else [config["eos_token_id"]]
    with torch.no_grad():
        logprobs = ref.next_token_logprobs(forward(ids), ids)
        # The first candidate prompt whose 8 greedy steps neither stop at an eos id nor pass a near-tie
        # (top-1 minus top-2 logit <= 1e-2) that could let a correct engine pick another token.
        for prompt in prompts:
            prompt_ids = tokenizer.encode(prompt, add_special_tokens=True)
            new, stopped, gap = ref.greedy(forward, prompt_ids, GREEDY_STEPS, eos)
            if not stopped and gap > 1e-2:
                break
        else:
            raise ValueError(f"{name}: no usable greedy prompt")
        loop = llama_loop_reference.loop_logits(sd, config, ids)
        loop_logprobs = torch.log_softmax(loop[:-1], -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        agreement = max_delta(logprobs.double(), loop_logprobs)
        assert agreement < AGREES, (name, agreement)
        discrimination = {}
        for mutation in FIXTURES[name][6]:
            delta = max_delta(ref.next_token_logprobs(forward(ids, mutation), ids), logprobs)
            assert delta > WEAKER.get(mutation, DISCRIMINATES), (name, mutation, delta)
            discrimination[mutation] = round(delta, 4)
    entry = {
        "features": FIXTURES[name][5],
        "tokenizer_file": "tokenizer.json" if isinstance(tokenizer, hftok.Tokenizer) else "tokenizer.model",
        "config": config_summary(config),
        "rope_inv_freq": fp32_list(ref.rope_inv_freq(config)),
        "text": text, "ids": ids, "bos_prepended": len(ids) == len(tokenizer.encode(text)) + 1,
        "logprobs": fp32_list(logprobs),
        "greedy": {"prompt": prompt, "prompt_ids": prompt_ids, "continuation_ids": new, "stopped_at_eos": stopped,
                   "eos_token_ids": eos, "min_top2_logit_gap": round(gap, 6)},
        "discrimination": discrimination,
        "max_abs_delta_vs_fp64_loop_reference": float(f"{agreement:.2g}"),
    }
    if entry["config"]["rope_type"] == "llama3":
        branches = ref.llama3_branches(config)
        assert {"high", "medium", "low"} <= set(branches), (name, branches)
        entry["llama3_branches"] = branches
    return entry


def tokenizer_cases(path, family):
    tokenizer = load_tokenizer(os.path.join(OUT, path.split("/")[0]))
    texts = TOKENIZER_CASES + SPECIAL_CASES.get(family, [])
    cases = []
    for text in texts:
        ids = tokenizer.encode(text)
        decoded = tokenizer.decode(ids)
        if family == "qwen":
            assert decoded == unicodedata.normalize("NFC", text), (text, decoded)
        elif family != "sentencepiece" or text.strip(" ") == text:
            assert decoded == text, (text, decoded)
        cases.append({"text": text, "ids": ids, "ids_with_special_tokens": tokenizer.encode(text, True),
                      "decoded": decoded})
    return cases


def tokenizer_discrimination(path, cases):
    """How many cases change ids when one piece of the tokenizer.json is misread (each must change some)."""
    with open(os.path.join(OUT, path), encoding="utf-8") as f:
        spec = json.load(f)
    split = spec["pre_tokenizer"]["pretokenizers"][0]["pattern"]
    other = hftok.QWEN2_PATTERN if split["Regex"] == hftok.LLAMA3_PATTERN else hftok.LLAMA3_PATTERN
    mutations = {"other_family_regex": lambda s: s["pre_tokenizer"]["pretokenizers"][0]["pattern"].update(Regex=other),
                 "gpt2_regex": lambda s: s["pre_tokenizer"]["pretokenizers"][0]["pattern"].update(
                     Regex=r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""),
                 "merges_reversed": lambda s: s["model"].update(merges=s["model"]["merges"][::-1])}
    if spec["normalizer"] is not None:
        mutations["no_nfc"] = lambda s: s.update(normalizer=None)
    out = {}
    for mutation, apply in mutations.items():
        spec_copy = json.loads(json.dumps(spec))
        apply(spec_copy)
        wrong = hftok.Tokenizer(spec_copy)
        out[mutation] = sum(wrong.encode(c["text"]) != c["ids"] for c in cases)
        if not (mutation == "other_family_regex" and "qwen" in path):  # Qwen's vocab has no digit merges
            assert out[mutation] > 0, (path, mutation)
    return out


def cross_check_with_hf_tokenizers(sections):
    """Same ids from Hugging Face's tokenizers (Rust, via npm `tokenizers`) when it can be loaded."""
    requests = [{"file": os.path.join(OUT, path), "texts": [c["text"] for c in s["cases"]]}
                for path, s in sections.items() if path.endswith("tokenizer.json")]
    script = os.path.join(ROOT, "tools", "check_tokenizer_json.js")
    try:
        run = subprocess.run(["node", script], input=json.dumps(requests).encode(), capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"tokenizers cross-check skipped: {e}", file=sys.stderr)
        return False
    if run.returncode != 0:
        lines = run.stderr.decode(errors="replace").splitlines()
        why = next((line for line in lines if "Cannot find module" in line), lines[0] if lines else "")
        print(f"tokenizers cross-check skipped: {why.strip()}", file=sys.stderr)
        return False
    for result in json.loads(run.stdout):
        path = os.path.relpath(result["file"], OUT)
        for case, ids, ids_special, decoded in zip(sections[path]["cases"], result["ids"],
                                                   result["ids_with_special_tokens"], result["decoded"]):
            assert case["ids"] == ids, (path, case["text"], case["ids"], ids)
            assert case["ids_with_special_tokens"] == ids_special, (path, case["text"])
            assert case["decoded"] == decoded, (path, case["text"], case["decoded"], decoded)
    print(f"tokenizers (Rust) agrees on {len(requests)} tokenizer.json files", file=sys.stderr)
    return True


def main():
    paragraphs = reuters_paragraphs(CORPUS)
    train_text = paragraphs[:TRAIN_PARAGRAPHS]

    tokenizers = {}
    for family, pattern in (("llama3", hftok.LLAMA3_PATTERN), ("qwen", hftok.QWEN2_PATTERN)):
        vocab, merges = hftok.train("\n".join(train_text), pattern, BPE_BASE)
        assert len(vocab) == BPE_BASE
        tokenizers[family] = (vocab, merges)
    sp_model = train_sentencepiece(train_text)

    for name, (config, seed, kind, pairs, weight_layout, _, _) in FIXTURES.items():
        path = os.path.join(OUT, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.makedirs(path)
        write_json(os.path.join(path, "config.json"), config)
        write_weights(path, random_weights(config, seed), weight_layout)
        if kind == "sentencepiece":
            with open(os.path.join(path, "tokenizer.model"), "wb") as f:
                f.write(sp_model)
        else:
            write_json(os.path.join(path, "tokenizer.json"), tokenizer_json(*tokenizers[kind], kind, pairs))
        tok_config, gen_config = tokenizer_files(kind)
        write_json(os.path.join(path, "tokenizer_config.json"), tok_config)
        if gen_config is not None and name in ("tiny-llama", "tiny-qwen2", "tiny-llama-sentencepiece"):
            write_json(os.path.join(path, "generation_config.json"), gen_config)

    expected = {"fixtures": {}}
    for name in FIXTURES:
        expected["fixtures"][name] = entry = expected_entry(name, paragraphs)
        print(f"{name}: {len(entry['ids'])} ids, greedy {entry['greedy']['continuation_ids']}, "
              f"fp64 loop {entry['max_abs_delta_vs_fp64_loop_reference']}, discrimination {entry['discrimination']}"
              + (f", llama3 branches {entry['llama3_branches']}" if "llama3_branches" in entry else ""),
              file=sys.stderr)

    sections = {}
    for path, family in (("tiny-llama/tokenizer.json", "llama3"), ("tiny-qwen2/tokenizer.json", "qwen"),
                         ("tiny-qwen3/tokenizer.json", "qwen"), ("tiny-llama-sentencepiece/tokenizer.model",
                                                                 "sentencepiece")):
        file = path.split("/")[1]
        with open(os.path.join(OUT, path), "rb") as f:
            data = f.read()
        same = [n for n in FIXTURES if os.path.exists(os.path.join(OUT, n, file))
                and open(os.path.join(OUT, n, file), "rb").read() == data]
        sections[path] = {"identical_copies": same, "cases": tokenizer_cases(path, family)}
        if file == "tokenizer.json":
            sections[path]["discrimination"] = tokenizer_discrimination(path, sections[path]["cases"])
    cross_check_with_hf_tokenizers(sections)
    expected["tokenizer_cases"] = sections

    with open(os.path.join(OUT, "llama_expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n, f)) for n in FIXTURES for f in os.listdir(os.path.join(OUT, n)))
    total += os.path.getsize(os.path.join(OUT, "llama_expected.json"))
    print(f"wrote {len(FIXTURES)} fixtures + llama_expected.json ({total / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
